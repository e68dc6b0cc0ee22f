public import FogCore
internal import FogSystem
internal import Foundation
internal import Glibc
public import Logging

/// Runs the deployed microservices as child processes on the local bus.
///
/// Each microservice gets its own bus user (publish `ms/<name>/out`, read `ms/<name>/in`) and
/// this environment on top of its spec's: `FOG_BUS_HOST`, `FOG_BUS_PORT`, `FOG_BUS_USERNAME`,
/// `FOG_BUS_PASSWORD`, `FOG_IN_TOPIC`, `FOG_OUT_TOPIC`, `FOG_CONFIG` (the spec's configuration
/// as text), and `PATH` when the spec sets none. It runs in its own process group, so a
/// stop reaches whatever it started. stdout and stderr go to `<name>.log` (+ `.1`), bounded
/// by `logFileLimit` each.
///
/// Files in `<state>/microservices/` (0700; files 0600): `<name>.spec` (the spec, JSON),
/// `<name>.log`, `<name>.log.1`.
public actor MicroserviceSupervisor {
    public nonisolated let directory: String
    private let bus: LocalBus
    private let policy: RestartPolicy
    private let logFileLimit: Int
    private let logger: Logger
    private let onChange: @Sendable () -> Void
    private let registry: ChildRegistry?

    private struct Entry {
        var spec: MicroserviceSpec
        var process: SupervisedProcess
    }
    private var entries: [String: Entry] = [:]

    public init(
        stateDirectory: String, bus: LocalBus, policy: RestartPolicy = .init(), logFileLimit: Int = 1 << 20,
        childRegistry: ChildRegistry? = nil, logger: Logger, onChange: @escaping @Sendable () -> Void = {}
    ) throws(AgentRuntimeError) {
        registry = childRegistry
        directory = stateDirectory + "/microservices"
        self.bus = bus
        self.policy = policy
        self.logFileLimit = logFileLimit
        self.logger = logger
        self.onChange = onChange
        do {
            try StateFile.prepareDirectory(directory)
        } catch {
            throw AgentRuntimeError(error)
        }
    }

    /// The specs persisted by earlier runs.
    public nonisolated func storedSpecs() throws(AgentRuntimeError) -> [MicroserviceSpec] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw AgentRuntimeError(.fileIO, "cannot list \(directory): \(error)")
        }
        var specs: [MicroserviceSpec] = []
        for file in names.sorted() where file.hasSuffix(".spec") && !file.hasPrefix(".") {
            do {
                let bytes = try StateFile.read(directory, name: file)
                specs.append(try JSONDecoder().decode(StoredMicroservice.self, from: Data(bytes)).spec)
            } catch {
                throw AgentRuntimeError(.stateCorrupt, "\(directory)/\(file) does not decode as a spec: \(error)")
            }
        }
        return specs
    }

    /// Runs `spec`, replacing a different spec of the same name; the same spec again changes nothing.
    public func deploy(_ spec: MicroserviceSpec) async throws(AgentRuntimeError) {
        guard MicroserviceSpec.isValidName(spec.name) else {
            throw AgentRuntimeError(.invalidSpec, "microservice name is not an identifier")
        }
        guard !spec.configuration.contains(0) else {
            throw AgentRuntimeError(.invalidSpec, "configuration of \(spec.name) holds NUL bytes; FOG_CONFIG is text")
        }
        if let entry = entries[spec.name], entry.spec == spec {
            return
        }
        if let entry = entries.removeValue(forKey: spec.name) {
            await entry.process.stop()
        }
        do {
            let json = try JSONEncoder().encode(StoredMicroservice(spec))
            try StateFile.write(Array(json), to: directory, name: spec.name + ".spec")
        } catch let error as AgentStateError {
            throw AgentRuntimeError(error)
        } catch {
            throw AgentRuntimeError(.fileIO, "cannot encode the spec of \(spec.name): \(error)")
        }
        let credentials: LocalBusCredentials
        do {
            credentials = try await bus.setUser(
                .microservice(name: spec.name), publish: [LocalBusTopic.output(of: spec.name)],
                read: [LocalBusTopic.input(of: spec.name)])
        } catch {
            throw AgentRuntimeError(error)
        }
        guard let port = await bus.port else {
            throw AgentRuntimeError(.bus, "the local bus is not running; cannot start \(spec.name)")
        }
        let environment = Self.environment(for: spec, credentials: credentials, host: bus.host, port: port)
        let log = RotatingLog(path: logPath(spec.name), limit: logFileLimit)
        let onChange = self.onChange
        // The awaits above let another deploy of this name run meanwhile (a controller command
        // racing the restore at start-up). Check again and claim the name before the next
        // await, so only one process per name is ever started.
        if let entry = entries[spec.name], entry.spec == spec {
            return
        }
        let process = SupervisedProcess(
            name: "microservice \(spec.name)", policy: policy, logger: logger, registry: registry,
            launch: {
                try ChildProcess.spawn(
                    spec.executablePath, spec.arguments, environment: environment, standardOutput: .pipe(log.sink),
                    standardError: nil, processGroup: true)
            },
            onChange: { _ in onChange() })
        let replaced = entries.updateValue(Entry(spec: spec, process: process), forKey: spec.name)
        if let replaced {
            await replaced.process.stop()
        }
        guard entries[spec.name]?.process === process else {
            // Superseded by a later deploy or removed while the old process stopped.
            return
        }
        process.start()
        logger.info("microservice deployed", metadata: ["fog.microservice": "\(spec.name)"])
    }

    /// Stops `name` and deletes its spec, logs and bus user; an unknown name is fine.
    public func remove(name: String) async throws(AgentRuntimeError) {
        guard MicroserviceSpec.isValidName(name) else {
            throw AgentRuntimeError(.invalidSpec, "microservice name is not an identifier")
        }
        if let entry = entries.removeValue(forKey: name) {
            await entry.process.stop()
        }
        for path in [directory + "/" + name + ".spec", logPath(name), logPath(name) + ".1"] {
            if unlink(path) != 0 && errno != ENOENT {
                throw AgentRuntimeError(.fileIO, "cannot delete \(path): \(String(cString: strerror(errno)))")
            }
        }
        do {
            try await bus.removeUser(.microservice(name: name))
        } catch {
            throw AgentRuntimeError(error)
        }
        onChange()
        logger.info("microservice removed", metadata: ["fog.microservice": "\(name)"])
    }

    /// Stops every microservice, keeping their specs (agent shutdown).
    public func stopAll() async {
        let running = entries.values.map(\.process)
        entries.removeAll()
        await withTaskGroup(of: Void.self) { group in
            for process in running {
                group.addTask { await process.stop() }
            }
        }
    }

    public func status() -> [AgentStatus.Microservice] {
        entries.keys.sorted().compactMap { name in
            entries[name].map { entry in
                let snapshot = entry.process.snapshot
                return AgentStatus.Microservice(name: name, state: snapshot.state, restarts: snapshot.restarts)
            }
        }
    }

    /// The process id of `name`'s current child, while one runs.
    public func pid(of name: String) -> Int32? {
        entries[name]?.process.snapshot.pid
    }

    public nonisolated func logPath(_ name: String) -> String {
        directory + "/" + name + ".log"
    }

    static func environment(
        for spec: MicroserviceSpec, credentials: LocalBusCredentials, host: String, port: UInt16
    ) -> [String: String] {
        var environment = spec.environment
        if environment["PATH"] == nil {
            environment["PATH"] = "/usr/local/bin:/usr/bin:/bin"
        }
        // Set last: the agent's values win over a spec that names the same variables.
        environment["FOG_BUS_HOST"] = host
        environment["FOG_BUS_PORT"] = String(port)
        environment["FOG_BUS_USERNAME"] = credentials.username
        environment["FOG_BUS_PASSWORD"] = credentials.password
        environment["FOG_IN_TOPIC"] = LocalBusTopic.input(of: spec.name)
        environment["FOG_OUT_TOPIC"] = LocalBusTopic.output(of: spec.name)
        environment["FOG_CONFIG"] = String(decoding: spec.configuration, as: UTF8.self)
        return environment
    }
}
