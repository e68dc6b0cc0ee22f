internal import FogCore
internal import FogSystem
internal import Foundation
internal import Glibc
public import Logging
internal import Synchronization

/// The agent's own Mosquitto: the microservices' and link halves' bus, on 127.0.0.1 only.
///
/// Files in `directory` (`<state>/bus`, 0700; every file 0600):
///
/// | file | contents |
/// |---|---|
/// | `users.json` | every credential (owner, username, password, allowed topics): the source of truth |
/// | `passwd` | generated Mosquitto password file (PBKDF2-SHA512 hashes) |
/// | `acl` | generated Mosquitto ACL file |
/// | `secrets/<username>` | a link half's password, handed to `fog-link` as `--bus-password-file` |
/// | `mosquitto.conf` | the rendered template |
/// | `mosquitto.log` (+ `.1`) | the broker's output, size-bounded |
/// | `data/` | Mosquitto persistence |
///
/// Credential changes rewrite `users.json`, `passwd` and `acl` and send SIGHUP, so they apply
/// without a restart. Removing a user rewrites all three without it: nothing of a removed
/// link half (id, username, topics) remains in them.
public actor LocalBus {
    public nonisolated let directory: String
    public nonisolated let host = "127.0.0.1"
    private let configuration: LocalBusConfiguration
    private let logger: Logger
    private let registry: ChildRegistry?

    private struct User: Codable {
        var owner: String
        var username: String
        var password: String
        var publish: [String]
        var read: [String]
    }
    private var users: [String: User]

    private var process: ChildProcess?
    /// Chosen at the first start and kept across restarts: running clients have it.
    public private(set) var port: UInt16?
    private var restarts = 0
    /// Set by `stop()`, so a restart in progress does not bring the broker back.
    private var stopRequested = false

    /// - Parameter childRegistry: where the broker's pid is recorded, so a restarted agent can
    ///   end a broker its crashed predecessor left running.
    public init(
        directory: String, configuration: LocalBusConfiguration = .init(), childRegistry: ChildRegistry? = nil,
        logger: Logger
    ) throws(LocalBusError) {
        registry = childRegistry
        self.directory = directory
        self.configuration = configuration
        self.logger = logger
        do {
            try StateFile.prepareDirectory(directory)
            try StateFile.prepareDirectory(directory + "/secrets")
            try StateFile.prepareDirectory(directory + "/data")
        } catch {
            throw LocalBusError(.fileIO, error.message, path: error.path)
        }
        users = [:]
        if StateFile.exists(directory + "/users.json") {
            do {
                let bytes = try StateFile.read(directory, name: "users.json", maximumSize: 16 << 20)
                for user in try JSONDecoder().decode([User].self, from: Data(bytes)) {
                    users[user.owner] = user
                }
            } catch {
                throw LocalBusError(.fileIO, "cannot load the bus users: \(error)", path: directory + "/users.json")
            }
        }
    }

    /// The broker's process id while it runs.
    public var pid: Int32? { process?.isRunning == true ? process?.pid : nil }

    /// Restarts after the broker died, since this object was made.
    public var restartCount: Int { restarts }

    public func credentials(for owner: LocalBusOwner) -> LocalBusCredentials? {
        users[owner.key].map { LocalBusCredentials(username: $0.username, password: $0.password) }
    }

    /// Owners that currently hold a credential.
    public var owners: [LocalBusOwner] {
        users.keys.sorted().compactMap(LocalBusOwner.init(key:))
    }

    /// Creates or updates `owner`'s credential: it may publish exactly `publish` and receive
    /// exactly `read`. An existing password is kept, so a running client stays logged in.
    @discardableResult
    public func setUser(_ owner: LocalBusOwner, publish: [String], read: [String]) async throws(LocalBusError)
        -> LocalBusCredentials
    {
        for topic in publish + read {
            try Self.checkTopic(topic, owner: owner)
        }
        let existing = users[owner.key]
        let user = User(
            owner: owner.key, username: existing?.username ?? Self.username(for: owner),
            password: existing?.password ?? Secret().text, publish: Array(Set(publish)).sorted(),
            read: Array(Set(read)).sorted())
        if let existing, existing.publish == user.publish, existing.read == user.read {
            return LocalBusCredentials(username: user.username, password: user.password)
        }
        users[owner.key] = user
        try saveAccessFiles()
        reload()
        logger.info(
            "bus user set",
            metadata: ["fog.bus.user": "\(LogAlias.of(user.username))", "fog.bus.owner": "\(owner)", "fog.bus.topics": "\(publish.count + read.count)"])
        return LocalBusCredentials(username: user.username, password: user.password)
    }

    /// Deletes `owner`'s credential and its password file; absent owners are fine.
    public func removeUser(_ owner: LocalBusOwner) async throws(LocalBusError) {
        guard let user = users.removeValue(forKey: owner.key) else {
            return
        }
        _ = unlink(secretPath(user.username))
        try saveAccessFiles()
        reload()
        logger.info("bus user removed", metadata: ["fog.bus.owner": "\(owner)"])
    }

    /// Writes `owner`'s password to an owner-only file and returns its path (for
    /// `fog-link --bus-password-file`, so the password is never on a command line).
    public func passwordFile(for owner: LocalBusOwner) throws(LocalBusError) -> String {
        guard let user = users[owner.key] else {
            throw LocalBusError(.fileIO, "no bus user for \(owner)")
        }
        do {
            try StateFile.write(Array(user.password.utf8), to: directory + "/secrets", name: user.username)
        } catch {
            throw LocalBusError(.fileIO, error.message, path: error.path)
        }
        return secretPath(user.username)
    }

    /// Starts the broker and returns once it reports itself running; does nothing if it runs.
    public func start() async throws(LocalBusError) {
        if let process, process.isRunning {
            return
        }
        stopRequested = false
        guard let mosquitto = configuration.mosquittoPath ?? ChildProcess.locate("mosquitto") else {
            throw LocalBusError(.mosquittoMissing, "mosquitto not found in PATH, /usr/sbin or /usr/local/sbin")
        }
        let template = try loadTemplate()
        try saveAccessFiles()
        let fixedPort = port
        var lastLog = ""
        for attempt in 1...max(1, configuration.bindAttempts) {
            let candidate: UInt16
            if let fixedPort {
                candidate = fixedPort
            } else {
                do {
                    candidate = try LoopbackPort.free()
                } catch {
                    throw LocalBusError(.startFailed, "no free loopback port: \(error)")
                }
            }
            try writeConfiguration(template, port: candidate)
            let watch = OutputWatch(log: RotatingLog(path: directory + "/mosquitto.log", limit: configuration.logFileLimit))
            let process: ChildProcess
            do {
                process = try ChildProcess.spawn(
                    mosquitto, ["-c", directory + "/mosquitto.conf"], environment: [:],
                    standardOutput: .pipe(watch.sink), standardError: nil)
            } catch {
                throw LocalBusError(.startFailed, "cannot start \(mosquitto): \(error)")
            }
            switch await awaitRunning(process, watch: watch) {
            case .running:
                self.process = process
                registry?.record(process)
                port = candidate
                logger.info("local bus running", metadata: ["fog.bus.port": "\(candidate)", "fog.bus.pid": "\(process.pid)"])
                return
            case .portInUse(let log):
                lastLog = log
                logger.notice("local bus port taken, retrying", metadata: ["fog.bus.port": "\(candidate)"])
                // A restart on its old port may race the old socket's release.
                try? await Task.sleep(for: .milliseconds(100 * attempt))
            case .failed(let reason, let log):
                throw LocalBusError(.startFailed, "mosquitto on 127.0.0.1:\(candidate) \(reason); log:\n\(log)")
            }
        }
        throw LocalBusError(
            .startFailed, "mosquitto could not bind 127.0.0.1 after \(configuration.bindAttempts) attempts; log:\n\(lastLog)")
    }

    /// Restarts the broker (same port, so running clients reconnect) with backoff whenever it
    /// dies, until cancelled or `stop()`ped. Leaves a running broker running.
    public func supervise() async {
        var delay = configuration.restartDelay
        let clock = ContinuousClock()
        while !Task.isCancelled {
            guard let current = process else {
                break
            }
            let startedAt = clock.now
            let status = await current.waitForExit()
            if Task.isCancelled || status == nil {
                break
            }
            guard process === current else {
                // Replaced by `stop()`/`start()` meanwhile; watch the new one.
                continue
            }
            if clock.now - startedAt > .seconds(60) {
                delay = configuration.restartDelay
            }
            logger.error(
                "local bus exited, restarting",
                metadata: ["fog.bus.status": "\(status ?? -1)", "fog.bus.delay": "\(delay)"])
            process = nil
            registry?.forget(current.pid)
            while process == nil && !Task.isCancelled && !stopRequested {
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, configuration.maximumRestartDelay)
                if Task.isCancelled || stopRequested {
                    break
                }
                do {
                    try await start()
                    restarts += 1
                } catch {
                    logger.error("local bus restart failed", metadata: ["fog.bus.error": "\(error)"])
                }
            }
        }
    }

    /// SIGTERM (Mosquitto saves its persistence on the way out), SIGKILL after 10 s.
    public func stop() async {
        stopRequested = true
        guard let current = process else {
            return
        }
        process = nil
        await current.stop(grace: .seconds(10))
        registry?.forget(current.pid)
        logger.info("local bus stopped")
    }

    /// Tells the running broker to re-read its password and ACL files.
    private func reload() {
        process?.signal(SIGHUP)
    }

    private func secretPath(_ username: String) -> String {
        directory + "/secrets/" + username
    }

    private func saveAccessFiles() throws(LocalBusError) {
        let ordered = users.values.sorted { $0.username < $1.username }
        var passwords = ""
        var acl = "# Generated by fog-agent from users.json; rewritten on every change.\n"
        for user in ordered {
            passwords += MosquittoPasswordHash.entry(username: user.username, password: user.password) + "\n"
            acl += "\nuser \(user.username)\n"
            acl += user.publish.map { "topic write \($0)\n" }.joined()
            acl += user.read.map { "topic read \($0)\n" }.joined()
        }
        do {
            let json = try JSONEncoder().encode(ordered)
            try StateFile.write(Array(json), to: directory, name: "users.json")
            try StateFile.write(Array(passwords.utf8), to: directory, name: "passwd")
            try StateFile.write(Array(acl.utf8), to: directory, name: "acl")
        } catch let error as AgentStateError {
            throw LocalBusError(.fileIO, error.message, path: error.path)
        } catch {
            throw LocalBusError(.fileIO, "cannot encode the bus users: \(error)", path: directory + "/users.json")
        }
    }

    private func loadTemplate() throws(LocalBusError) -> String {
        let candidates = configuration.templatePath.map { [$0] } ?? Self.templateCandidates()
        for path in candidates {
            if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                return text
            }
        }
        throw LocalBusError(
            .templateMissing, "local-bus.conf not found; looked in \(candidates.joined(separator: ", "))")
    }

    private func writeConfiguration(_ template: String, port: UInt16) throws(LocalBusError) {
        let values = [
            "${FOG_PORT}": String(port),
            "${FOG_BIND}": host,
            "${FOG_DATA_DIR}": directory + "/data/",
            "${FOG_PASSWORD_FILE}": directory + "/passwd",
            "${FOG_ACL_FILE}": directory + "/acl",
            "${FOG_USER}": Self.currentUserName(),
        ]
        var text = template
        for (placeholder, value) in values {
            text = text.replacingOccurrences(of: placeholder, with: value)
        }
        do {
            try StateFile.write(Array(text.utf8), to: directory, name: "mosquitto.conf")
        } catch {
            throw LocalBusError(.fileIO, error.message, path: error.path)
        }
    }

    private enum Readiness {
        case running
        case portInUse(log: String)
        case failed(reason: String, log: String)
    }

    private func awaitRunning(_ process: ChildProcess, watch: OutputWatch) async -> Readiness {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: configuration.startTimeout)
        while true {
            let log = watch.tail
            if let status = process.exitStatus {
                if log.contains("Address already in use") {
                    return .portInUse(log: log)
                }
                return .failed(reason: "exited with status \(status)", log: log)
            }
            if log.contains(" running") {
                return .running
            }
            if clock.now >= deadline {
                await process.stop(grace: .seconds(5))
                return .failed(reason: "did not report running within \(configuration.startTimeout)", log: log)
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// A topic goes into an ACL line verbatim; a newline would inject ACL lines, surrounding
    /// spaces are trimmed by Mosquitto's parser and wildcards would widen the grant.
    private static func checkTopic(_ topic: String, owner: LocalBusOwner) throws(LocalBusError) {
        let bytes = Array(topic.utf8)
        let valid =
            !bytes.isEmpty && bytes.count <= 1_024 && bytes.first != 0x20 && bytes.last != 0x20
            && !bytes.contains { $0 < 0x20 || $0 == 0x7F || $0 == 0x2B || $0 == 0x23 }
        guard valid else {
            throw LocalBusError(
                .invalidTopic,
                "a topic for \(owner) has control characters, wildcards or surrounding spaces, or is empty or too long")
        }
    }

    /// Microservices are named after themselves (names are identifiers, so they fit an ACL
    /// line); a link half gets a random name so its username carries nothing of the link.
    private static func username(for owner: LocalBusOwner) -> String {
        switch owner {
        case .microservice(let name): "ms.\(name)"
        case .linkHalf: "h.\(OpaqueID())"
        }
    }

    private static func templateCandidates() -> [String] {
        var candidates: [String] = []
        if let path = ProcessInfo.processInfo.environment["FOG_BUS_TEMPLATE"], !path.isEmpty {
            candidates.append(path)
        }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        var directory = (executable as NSString).deletingLastPathComponent
        candidates += [
            directory + "/local-bus.conf", directory + "/../share/fogfabric/local-bus.conf",
            "/etc/fogfabric/local-bus.conf",
        ]
        // A development build runs from <package>/.build*/<config>/; the template is in the tree.
        while directory.count > 1 {
            candidates.append(directory + "/broker-config/local-bus.conf")
            directory = (directory as NSString).deletingLastPathComponent
        }
        return candidates
    }

    private static func currentUserName() -> String {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else {
            return String(geteuid())
        }
        return String(cString: name)
    }
}

/// The broker's output: all of it to the rotating log, the last few KiB kept to detect
/// "running" and bind failures.
private final class OutputWatch: Sendable {
    private let log: RotatingLog
    private let recent = Mutex<[UInt8]>([])

    init(log: RotatingLog) {
        self.log = log
    }

    var tail: String {
        String(decoding: recent.withLock { $0 }, as: UTF8.self)
    }

    var sink: @Sendable ([UInt8]?) -> Void {
        { [self] chunk in
            log.sink(chunk)
            if let chunk {
                recent.withLock { recent in
                    recent += chunk
                    if recent.count > 8_192 {
                        recent.removeFirst(recent.count - 8_192)
                    }
                }
            }
        }
    }
}
