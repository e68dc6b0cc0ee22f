internal import ServiceLifecycle

/// Runs the agent's `AgentSession` in a `ServiceGroup`: graceful shutdown cancels it, which
/// disconnects cleanly. A configuration failure (bad ComSat URL, missing CA, unreadable
/// sequence file) ends the group; network loss never does (the session retries).
///
/// The session connects only once the runtime has started (bus up, persisted children
/// restored), so a command arriving at once never meets a bus that is not running yet.
struct AgentSessionService: Service {
    let session: AgentSession
    let runtime: AgentRuntime

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            await runtime.waitUntilStarted()
            try Task.checkCancellation()
            try await session.run()
        }
    }
}
