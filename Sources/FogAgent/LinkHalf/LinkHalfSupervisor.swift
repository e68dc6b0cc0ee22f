public import FogCore
internal import FogSystem
internal import Foundation
internal import Glibc
public import Logging

/// Runs one `fog-link` process per assigned link half and relays what it prints.
///
/// Per half (`key` = `<linkID>-<a|b>`):
/// - `<state>/links/<key>/` (0700, HALF_DIR): the agent writes only `assignment`
///   (`LinkHalfAssignment.encoded()`, 0600); every other file there belongs to fog-link.
/// - `<state>/links/<key>.log` (+ `.1`): fog-link's stderr, size-bounded.
/// - a bus user `U` with a random name (nothing of the link in it), which is also fog-link's
///   bus client id. It reads the outbound routes' local topics, publishes and reads the
///   inbound ones (reading them lets fog-link see its own deliveries echoed) and publishes
///   and reads its retained delivery marker `fog-link/U/delivered`; its password is in a bus
///   secrets file handed over as `--bus-password-file`.
///
/// fog-link's stdout lines drive reports and status: `secret-hash HEX` is reported to the
/// observer (the controller installs the half's grant), `state up` ends that report,
/// `state …` and `queue M B` feed `status()`. Route changes rewrite `assignment` and the
/// bus user and restart the process. A wipe stops it, runs `fog-link wipe` with the same bus
/// arguments (which ends the half's persistent bus session and clears its retained marker, so
/// the bus's persistence keeps nothing of the link), then deletes all of the above.
public actor LinkHalfSupervisor {
    public nonisolated let directory: String
    private let bus: LocalBus
    private let fogLinkPath: String
    private let queueMaximumBytes: Int?
    private let logLevel: String?
    private let policy: RestartPolicy
    private let logFileLimit: Int
    private let logger: Logger
    private var observer: (any AgentRuntimeObserver)?
    private let registry: ChildRegistry?

    private struct Entry {
        var assignment: LinkHalfAssignment
        var process: SupervisedProcess
        var state: AgentStatus.LinkHalf.State = .connecting
        var queuedMessages: UInt64 = 0
        var queuedBytes: UInt64 = 0
    }
    private var entries: [String: Entry] = [:]

    /// - Parameters:
    ///   - fogLinkPath: the `fog-link` executable (by default the agent's sibling).
    ///   - queueMaximumBytes: passed as `--queue-max-bytes` when set.
    ///   - logLevel: passed as `--log-level` when set.
    public init(
        stateDirectory: String, bus: LocalBus, fogLinkPath: String, queueMaximumBytes: Int? = nil,
        logLevel: String? = nil, policy: RestartPolicy = .init(), logFileLimit: Int = 1 << 20, childRegistry: ChildRegistry? = nil,
        logger: Logger
    ) throws(AgentRuntimeError) {
        registry = childRegistry
        directory = stateDirectory + "/links"
        self.bus = bus
        self.fogLinkPath = fogLinkPath
        self.queueMaximumBytes = queueMaximumBytes
        self.logLevel = logLevel
        self.policy = policy
        self.logFileLimit = logFileLimit
        self.logger = logger
        do {
            try StateFile.prepareDirectory(directory)
        } catch {
            throw AgentRuntimeError(error)
        }
    }

    public func setObserver(_ observer: (any AgentRuntimeObserver)?) {
        self.observer = observer
    }

    /// HALF_DIR of a half.
    public nonisolated func halfDirectory(linkID: OpaqueID, side: Grant.LinkSide) -> String {
        directory + "/" + Self.key(linkID, side)
    }

    /// Starts every half whose assignment an earlier run stored; a half that cannot be read or
    /// started is logged and skipped.
    public func restore() async throws(AgentRuntimeError) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw AgentRuntimeError(.fileIO, "cannot list \(directory): \(error)")
        }
        for name in names.sorted() where !name.hasSuffix(".log") && !name.hasSuffix(".log.1") && !name.hasPrefix(".") {
            let halfDirectory = directory + "/" + name
            guard StateFile.exists(halfDirectory + "/assignment") else {
                continue
            }
            // One unreadable or unstartable half must not keep the others down.
            do {
                let assignment = try LinkHalfAssignment(decoding: try StateFile.read(halfDirectory, name: "assignment"))
                try await assign(assignment)
            } catch {
                logger.error("cannot restore a link half", metadata: ["fog.link.dir": "\(LogAlias.of(name))", "fog.error": "\(error)"])
            }
        }
    }

    /// Runs the half described by `assignment`; the same assignment again changes nothing, a
    /// different one for the same half replaces it (new routes, new ComSat).
    public func assign(_ assignment: LinkHalfAssignment) async throws(AgentRuntimeError) {
        let key = Self.key(assignment.linkID, assignment.side)
        if let entry = entries[key], entry.assignment == assignment {
            return
        }
        let halfDirectory = directory + "/" + key
        let bytes = try encode(assignment)
        do {
            try StateFile.prepareDirectory(halfDirectory)
            try StateFile.write(bytes, to: halfDirectory, name: "assignment")
        } catch {
            throw AgentRuntimeError(error)
        }
        try await launch(assignment)
    }

    /// Replaces the routes of a half this agent runs and restarts it.
    public func setRoutes(linkID: OpaqueID, side: Grant.LinkSide, routes: [LinkRoute]) async throws(AgentRuntimeError) {
        let key = Self.key(linkID, side)
        guard var assignment = entries[key]?.assignment else {
            throw AgentRuntimeError(.unknownLinkHalf, "no link half \(LogAlias.of(linkID)) side \(side) runs on this agent")
        }
        guard assignment.routes != routes else {
            return
        }
        assignment.routes = routes
        let bytes = try encode(assignment)
        do {
            try StateFile.write(bytes, to: directory + "/" + key, name: "assignment")
        } catch {
            throw AgentRuntimeError(error)
        }
        try await launch(assignment)
    }

    /// Stops the half and deletes its directory, logs and bus user. Wiping an unknown half succeeds.
    public func wipe(linkID: OpaqueID, side: Grant.LinkSide) async throws(AgentRuntimeError) {
        let key = Self.key(linkID, side)
        if let entry = entries.removeValue(forKey: key) {
            await entry.process.stop()
        }
        let halfDirectory = directory + "/" + key
        try await runFogLinkWipe(linkID: linkID, side: side, halfDirectory: halfDirectory)
        do {
            if FileManager.default.fileExists(atPath: halfDirectory) {
                try FileManager.default.removeItem(atPath: halfDirectory)
            }
        } catch {
            throw AgentRuntimeError(.fileIO, "cannot delete the directory of link half \(LogAlias.of(linkID)) side \(side): \(error)")
        }
        for path in [halfDirectory + ".log", halfDirectory + ".log.1"] where unlink(path) != 0 && errno != ENOENT {
            throw AgentRuntimeError(.fileIO, "cannot delete \(path): \(String(cString: strerror(errno)))")
        }
        do {
            try await bus.removeUser(.linkHalf(linkID: linkID, side: side))
        } catch {
            throw AgentRuntimeError(error)
        }
        await observer?.forgetReport(linkID: linkID, side: side)
        await observer?.statusChanged()
        logger.info("link half wiped", metadata: ["fog.link": "\(LogAlias.of(linkID))", "fog.link.side": "\(side)"])
    }

    /// Stops every half, keeping their directories (agent shutdown).
    public func stopAll() async {
        let running = entries.values.map(\.process)
        entries.removeAll()
        await withTaskGroup(of: Void.self) { group in
            for process in running {
                group.addTask { await process.stop() }
            }
        }
    }

    public func status() -> [AgentStatus.LinkHalf] {
        entries.keys.sorted().compactMap { key in
            entries[key].map { entry in
                let running = entry.process.snapshot.state == .running
                return AgentStatus.LinkHalf(
                    linkID: entry.assignment.linkID, side: entry.assignment.side, state: running ? entry.state : .down,
                    queuedMessages: entry.queuedMessages, queuedBytes: entry.queuedBytes)
            }
        }
    }

    /// The process id of a half's current `fog-link`, while one runs.
    public func pid(linkID: OpaqueID, side: Grant.LinkSide) -> Int32? {
        entries[Self.key(linkID, side)]?.process.snapshot.pid
    }

    private func launch(_ assignment: LinkHalfAssignment) async throws(AgentRuntimeError) {
        let linkID = assignment.linkID
        let side = assignment.side
        let key = Self.key(linkID, side)
        if let entry = entries.removeValue(forKey: key) {
            await entry.process.stop()
        }
        let owner = LocalBusOwner.linkHalf(linkID: linkID, side: side)
        let passwordFile: String
        let inbound = assignment.routes.filter { $0.direction == .inbound }.map(\.localTopic)
        let outbound = assignment.routes.filter { $0.direction == .outbound }.map(\.localTopic)
        do {
            // The marker topic is named after the random username, which exists only once the
            // user does; a new half's user is created first without topics.
            let username: String
            if let existing = await bus.credentials(for: owner) {
                username = existing.username
            } else {
                username = try await bus.setUser(owner, publish: [], read: []).username
            }
            let marker = Self.markerTopic(username: username)
            try await bus.setUser(owner, publish: inbound + [marker], read: inbound + outbound + [marker])
            passwordFile = try await bus.passwordFile(for: owner)
        } catch {
            throw AgentRuntimeError(error)
        }
        var arguments = ["run"] + (try await busArguments(owner: owner, halfDirectory: directory + "/" + key, passwordFile: passwordFile))
        if let queueMaximumBytes {
            arguments += ["--queue-max-bytes", String(queueMaximumBytes)]
        }
        if let logLevel {
            arguments += ["--log-level", logLevel]
        }
        let executable = fogLinkPath
        let fixedArguments = arguments
        let log = RotatingLog(path: directory + "/" + key + ".log", limit: logFileLimit)
        let environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"]
        let process = SupervisedProcess(
            name: "link half \(LogAlias.of(linkID)) side \(side)", policy: policy, logger: logger, registry: registry,
            launch: { [weak self] in
                let (lines, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1_024))
                let process = try ChildProcess.spawn(
                    executable, fixedArguments, environment: environment, standardOutput: .lines(into: continuation),
                    standardError: .pipe(log.sink), processGroup: true)
                Task {
                    for await line in lines {
                        await self?.handle(line, linkID: linkID, side: side)
                    }
                }
                return process
            },
            onChange: { [weak self] _ in
                Task { await self?.observer?.statusChanged() }
            })
        // The awaits above let another assignment of this half run meanwhile (a controller
        // command racing `restore()` at start-up). Two fog-link processes must never share a
        // HALF_DIR, so check again and claim the half before the next await.
        if let entry = entries[key], entry.assignment == assignment {
            return
        }
        let replaced = entries.updateValue(Entry(assignment: assignment, process: process), forKey: key)
        if let replaced {
            await replaced.process.stop()
        }
        guard entries[key]?.process === process else {
            return
        }
        process.start()
        logger.info(
            "link half started",
            metadata: ["fog.link": "\(LogAlias.of(linkID))", "fog.link.side": "\(side)", "fog.link.routes": "\(assignment.routes.count)"])
    }

    /// One stdout line of fog-link (the agent ↔ fog-link contract).
    private func handle(_ line: String, linkID: OpaqueID, side: Grant.LinkSide) async {
        let key = Self.key(linkID, side)
        guard entries[key] != nil else {
            return
        }
        let fields = line.split(separator: " ")
        switch (fields.first, fields.count) {
        case ("secret-hash", 2):
            guard let hash = try? SecretHash(hex: fields[1]) else {
                logger.warning("fog-link printed a malformed secret hash", metadata: ["fog.link": "\(LogAlias.of(linkID))"])
                return
            }
            await observer?.report(LinkSecretReport(linkID: linkID, side: side, secretHash: hash))
        case ("state", 2):
            let state: AgentStatus.LinkHalf.State? =
                switch fields[1] {
                case "connecting": .connecting
                case "handshaking": .handshaking
                case "up": .up
                case "down": .down
                default: nil
                }
            guard let state else {
                logger.warning("fog-link printed an unknown state", metadata: ["fog.link": "\(LogAlias.of(linkID))"])
                return
            }
            entries[key]?.state = state
            if state == .up {
                await observer?.forgetReport(linkID: linkID, side: side)
            }
            await observer?.statusChanged()
        case ("queue", 3):
            guard let messages = UInt64(fields[1]), let bytes = UInt64(fields[2]) else {
                return
            }
            entries[key]?.queuedMessages = messages
            entries[key]?.queuedBytes = bytes
        default:
            logger.debug("unrecognised fog-link output line", metadata: ["fog.link": "\(LogAlias.of(linkID))"])
        }
    }

    /// fog-link's options for HALF_DIR and the bus, shared by `run` and `wipe`: the bus
    /// username doubles as the client id and names the marker topic.
    private func busArguments(owner: LocalBusOwner, halfDirectory: String, passwordFile: String) async throws(AgentRuntimeError)
        -> [String]
    {
        guard let credentials = await bus.credentials(for: owner) else {
            throw AgentRuntimeError(.bus, "no bus user for \(owner)")
        }
        guard let port = await bus.port else {
            throw AgentRuntimeError(.bus, "the local bus is not running; cannot run fog-link for \(owner)")
        }
        return [
            "--dir", halfDirectory, "--bus-host", bus.host, "--bus-port", String(port),
            "--bus-username", credentials.username, "--bus-password-file", passwordFile,
            "--bus-client-id", credentials.username, "--bus-marker-topic", Self.markerTopic(username: credentials.username),
        ]
    }

    /// `fog-link wipe` for a stopped half: ends its persistent bus session and clears its
    /// retained marker, then deletes its queue and secrets. Skipped when nothing of the half
    /// is left (no assignment or no bus user: an earlier wipe got further than this step).
    /// A failure throws, so the command fails and the controller's retry wipes again.
    private func runFogLinkWipe(linkID: OpaqueID, side: Grant.LinkSide, halfDirectory: String) async throws(AgentRuntimeError) {
        let owner = LocalBusOwner.linkHalf(linkID: linkID, side: side)
        guard StateFile.exists(halfDirectory + "/assignment"), await bus.credentials(for: owner) != nil else {
            return
        }
        let passwordFile: String
        do {
            passwordFile = try await bus.passwordFile(for: owner)
        } catch {
            throw AgentRuntimeError(error)
        }
        let arguments = ["wipe"] + (try await busArguments(owner: owner, halfDirectory: halfDirectory, passwordFile: passwordFile))
        let result: (status: Int32, output: String)
        do {
            result = try await ChildProcess.run(
                fogLinkPath, arguments,
                environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"],
                timeout: .seconds(60))
        } catch {
            throw AgentRuntimeError(.bus, "cannot run fog-link wipe for link half \(LogAlias.of(linkID)) side \(side): \(error)")
        }
        guard result.status == 0 else {
            logger.error(
                "fog-link wipe failed",
                metadata: ["fog.link": "\(LogAlias.of(linkID))", "fog.link.side": "\(side)", "fog.link.output": "\(result.output.suffix(2_000))"])
            throw AgentRuntimeError(
                .bus, "fog-link wipe for link half \(LogAlias.of(linkID)) side \(side) exited with status \(result.status); see the agent log")
        }
    }

    static func markerTopic(username: String) -> String {
        "fog-link/\(username)/delivered"
    }

    private func encode(_ assignment: LinkHalfAssignment) throws(AgentRuntimeError) -> [UInt8] {
        do {
            return try assignment.encoded()
        } catch {
            throw AgentRuntimeError(.invalidSpec, "assignment of link half \(LogAlias.of(assignment.linkID)) does not encode: \(error)")
        }
    }

    static func key(_ linkID: OpaqueID, _ side: Grant.LinkSide) -> String {
        "\(linkID)-\(side == .a ? "a" : "b")"
    }
}
