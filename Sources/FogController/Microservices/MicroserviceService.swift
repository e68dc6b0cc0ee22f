public import FogCore
internal import Foundation
public import Logging

/// Microservice specs: `fogctl ms deploy|rm|ls`.
///
/// The row is the controller's record of what should run; the agent learns it from a
/// `deployMicroservice` or `removeMicroservice` command queued through the dispatcher
/// (durable when `deploy`/`remove` return, delivered until acknowledged). Deploying a name
/// that exists replaces its spec, as the agent does.
public struct MicroserviceService: Sendable {
    private let store: any ControllerStore
    private let commands: (any AgentCommandSender)?
    private let logger: Logger

    public init(store: any ControllerStore, commands: (any AgentCommandSender)?, logger: Logger) {
        self.store = store
        self.commands = commands
        self.logger = logger
    }

    /// Records the spec and queues it for the agent.
    /// - Returns: the stored record and whether it replaced a spec of the same name.
    /// - Throws: `.notFound` (agent), `.invalidName`, `.invalidRequest` (spec out of bounds
    ///   or configuration not JSON), `.commandsUnavailable`.
    public func deploy(
        agent agentName: String, _ spec: MicroserviceSpec
    ) async throws(ControllerError) -> (record: MicroserviceRecord, replaced: Bool) {
        guard let commands else {
            throw ControllerError(.commandsUnavailable, "this controller process delivers no agent commands")
        }
        try Self.validate(spec)
        let agent = try await requireAgent(agentName)
        let record = MicroserviceRecord(
            agentID: agent.id, name: spec.name, executable: spec.executablePath, arguments: spec.arguments,
            environment: spec.environment,
            configuration: spec.configuration.isEmpty ? nil : String(decoding: spec.configuration, as: UTF8.self))
        let replaced = try await store.saveMicroservice(record)
        try await commands.send(.deployMicroservice(spec), to: agent.id)
        logger.notice(
            "audit: microservice deployed",
            metadata: [
                "fog.agent.id": "\(agent.id)", "fog.microservice.name": "\(spec.name)", "fog.admin.action": "ms.deploy",
                "fog.microservice.replaced": "\(replaced)",
            ])
        let stored = try await store.microservice(agentID: agent.id, name: spec.name) ?? record
        return (stored, replaced)
    }

    /// Deletes the spec and queues `removeMicroservice` for the agent.
    /// - Throws: `.notFound`, `.inUse` while routes name it, `.commandsUnavailable`.
    public func remove(agent agentName: String, name: String) async throws(ControllerError) {
        guard let commands else {
            throw ControllerError(.commandsUnavailable, "this controller process delivers no agent commands")
        }
        let agent = try await requireAgent(agentName)
        let routes = try await store.routes(agentID: agent.id, microservice: name)
        guard routes.isEmpty else {
            throw ControllerError(
                .inUse, "microservice '\(agentName)/\(name)' is used by \(routes.count) route(s); remove them first")
        }
        guard try await store.deleteMicroservice(agentID: agent.id, name: name) else {
            throw ControllerError(.notFound, "agent '\(agentName)' has no microservice '\(name)'")
        }
        try await commands.send(.removeMicroservice(name: name), to: agent.id)
        logger.notice(
            "audit: microservice removed",
            metadata: ["fog.agent.id": "\(agent.id)", "fog.microservice.name": "\(name)", "fog.admin.action": "ms.rm"])
    }

    /// Every microservice (of one agent when `agentName` is given) with the agent's last
    /// reported state of it, by agent name and microservice name.
    public func list(agent agentName: String?) async throws(ControllerError) -> [MicroserviceSummary] {
        let agents: [AgentRecord]
        if let agentName {
            agents = [try await requireAgent(agentName)]
        } else {
            agents = try await store.agents()
        }
        var summaries: [MicroserviceSummary] = []
        for agent in agents {
            let status = await commands?.status(of: agent.id)
            for record in try await store.microservices(agentID: agent.id) {
                summaries.append(
                    MicroserviceSummary(
                        record, agentName: agent.name, reported: status?.microservices.first { $0.name == record.name }))
            }
        }
        return summaries
    }

    /// Checks the spec against the wire limits before anything is stored, so a spec the
    /// agent command cannot carry is refused with a reason instead of failing in the outbox.
    static func validate(_ spec: MicroserviceSpec) throws(ControllerError) {
        func invalid(_ reason: String) -> ControllerError {
            ControllerError(.invalidRequest, "microservice '\(spec.name)': \(reason)")
        }
        guard MicroserviceSpec.isValidName(spec.name) else {
            throw ControllerError(
                .invalidName,
                "microservice name '\(spec.name)' must be 1...\(MicroserviceSpec.maximumNameLength) characters of [A-Za-z0-9._-]")
        }
        guard (1...MicroserviceSpec.maximumPathLength).contains(spec.executablePath.utf8.count) else {
            throw invalid("the executable path must be 1...\(MicroserviceSpec.maximumPathLength) bytes")
        }
        guard spec.arguments.count <= MicroserviceSpec.maximumArgumentCount,
            spec.arguments.allSatisfy({ $0.utf8.count <= MicroserviceSpec.maximumArgumentLength })
        else {
            throw invalid(
                "at most \(MicroserviceSpec.maximumArgumentCount) arguments of at most \(MicroserviceSpec.maximumArgumentLength) bytes")
        }
        guard spec.environment.count <= MicroserviceSpec.maximumEnvironmentCount,
            spec.environment.allSatisfy({ key, value in
                (1...MicroserviceSpec.maximumEnvironmentKeyLength).contains(key.utf8.count) && !key.contains("=")
                    && value.utf8.count <= MicroserviceSpec.maximumEnvironmentValueLength
            })
        else {
            throw invalid(
                "at most \(MicroserviceSpec.maximumEnvironmentCount) variables, names of 1...\(MicroserviceSpec.maximumEnvironmentKeyLength) bytes without '='")
        }
        guard spec.configuration.count <= MicroserviceSpec.maximumConfigurationSize else {
            throw invalid("the configuration exceeds \(MicroserviceSpec.maximumConfigurationSize) bytes")
        }
        if !spec.configuration.isEmpty,
            (try? JSONSerialization.jsonObject(with: Data(spec.configuration), options: [.fragmentsAllowed])) == nil
        {
            throw invalid("the configuration is not JSON")
        }
    }

    private func requireAgent(_ name: String) async throws(ControllerError) -> AgentRecord {
        guard let agent = try await store.agent(named: name) else {
            throw ControllerError(.notFound, "no agent is named '\(name)'")
        }
        return agent
    }
}
