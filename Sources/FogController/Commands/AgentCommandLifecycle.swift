internal import ServiceLifecycle

/// Runs the controller's `AgentCommandDispatcher` as a `Service` of `fog-controller run`.
///
/// A graceful shutdown cancels it: every queued command is already durable in the outbox,
/// and a delivery cut short is repeated by the next run, so there is nothing to drain.
struct AgentCommandLifecycle: Service {
    let dispatcher: AgentCommandDispatcher

    func run() async throws {
        let dispatcher = dispatcher
        await cancelWhenGracefulShutdown {
            await dispatcher.run()
        }
    }
}
