import Foundation
import Glibc
import Synchronization

/// A real Mosquitto process for one test, on a free loopback port, with its files in a
/// private temporary directory.
///
/// `start()` renders `broker-config/<template>` (filling `${FOG_PORT}`, `${FOG_BIND}`,
/// `${FOG_DATA_DIR}`, `${FOG_USER}`), appends the harness lines (logging, persistence, TLS,
/// anonymous access, plugin, extra lines) and returns only once the broker logged that it
/// is running, is still alive, and has accepted and logged a TCP probe connection. If the
/// port was taken between choosing and binding it, the first start retries on another port;
/// later starts keep the port, so clients can reconnect to the same address after `stop()`
/// or `kill()`.
///
/// The broker's stdout and stderr go to `logPath` (appended across restarts), with
/// `log_dest stderr` forced on because stderr is unbuffered: the log is complete up to the
/// moment it is read, even after SIGKILL.
public final class MosquittoBroker: Sendable {
    public let configuration: BrokerConfiguration
    /// Address clients connect to.
    public let host: String
    /// The temporary directory holding config, log and data; removed by `removeFiles()`.
    public let directory: String
    /// Persistence location (`${FOG_DATA_DIR}`), ending with `/`; kept across restarts.
    public let dataDirectory: String
    public let configPath: String
    public let logPath: String

    /// How long `start()` waits for a spawned broker to accept connections.
    public static let startTimeout: Duration = .seconds(10)
    /// How long `stop()` waits after SIGTERM before SIGKILL.
    public static let stopTimeout: Duration = .seconds(10)
    private static let bindAttempts = 5

    private struct State {
        var port: UInt16?
        var process: ChildProcess?
    }
    private let state = Mutex(State())

    /// Creates the broker's directory; nothing runs until `start()`.
    public init(_ configuration: BrokerConfiguration = .init()) throws {
        self.configuration = configuration
        host = configuration.bindAddress
        let temporary = try TemporaryDirectory(prefix: "fog-mosquitto")
        directory = temporary.path
        dataDirectory = temporary.path + "/data/"
        configPath = temporary.path + "/mosquitto.conf"
        logPath = temporary.path + "/mosquitto.log"
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        } catch {
            temporary.remove()
            throw TestSupportError(.fileIO, "cannot create \(dataDirectory): \(error)")
        }
    }

    /// The listener port; 0 until the first `start()` chose one.
    public var port: UInt16 {
        state.withLock { $0.port ?? 0 }
    }

    /// The broker's process id while it runs.
    public var pid: Int32? {
        state.withLock { $0.process?.pid }
    }

    public var isRunning: Bool {
        state.withLock { $0.process }?.isRunning ?? false
    }

    /// Everything the broker wrote so far, across restarts.
    public func logText() -> String {
        (try? TextFile.read(logPath)) ?? ""
    }

    /// Starts the broker, or does nothing if it runs.
    ///
    /// - Throws: `TestSupportError.brokerFailed` with the broker's log if it exited or did
    ///   not accept connections within `startTimeout`.
    public func start() async throws {
        if isRunning {
            return
        }
        guard let executable = ChildProcess.locate("mosquitto") else {
            throw TestSupportError(.brokerFailed, "mosquitto not found in PATH, /usr/sbin or /usr/local/sbin (run tools/setup)")
        }
        let fixedPort = state.withLock { $0.port }
        var lastFailure = ""
        for attempt in 1...Self.bindAttempts {
            let port = try fixedPort ?? FreePort.next()
            try TextFile.write(try renderConfiguration(port: port), to: configPath)
            let logStart = logText().utf8.count
            let process = try configuration.launcher.spawn(executable, ["-c", configPath], outputFile: logPath)
            state.withLock {
                $0.port = port
                $0.process = process
            }
            switch await awaitReady(process, port: port, logStart: logStart) {
            case .ready:
                return
            case .portInUse(let log):
                lastFailure = log
                // A restart on a fixed port may race the old socket's release; a first start
                // simply picks another port.
                if fixedPort != nil {
                    try await Task.sleep(for: .milliseconds(100 * attempt))
                }
            case .failed(let reason, let log):
                throw TestSupportError(.brokerFailed, "mosquitto on \(host):\(port) \(reason); log:\n\(log)")
            }
        }
        throw TestSupportError(
            .brokerFailed,
            "mosquitto could not bind \(host) after \(Self.bindAttempts) attempts; last log:\n\(lastFailure)")
    }

    /// SIGTERM (Mosquitto saves its persistence file on the way out), then SIGKILL if it is
    /// still running after `stopTimeout`. Keeps the port, data and log.
    public func stop() async {
        guard let process = state.withLock({ $0.process }) else {
            return
        }
        process.terminate()
        if await process.waitForExit(timeout: Self.stopTimeout) == nil {
            process.kill()
            _ = await process.waitForExit(timeout: Self.stopTimeout)
        }
        clear(process)
    }

    /// SIGKILL, as a crash: nothing is saved, clients see their connections reset.
    public func kill() async {
        guard let process = state.withLock({ $0.process }) else {
            return
        }
        process.kill()
        _ = await process.waitForExit(timeout: Self.stopTimeout)
        clear(process)
    }

    /// `stop()` then `start()` on the same port and data directory.
    public func restart() async throws {
        await stop()
        try await start()
    }

    /// Deletes the broker's directory (config, log, persistence). Call after `stop()`.
    public func removeFiles() {
        TemporaryDirectory(existingPath: directory).remove()
    }

    private func clear(_ process: ChildProcess) {
        state.withLock { state in
            if state.process === process {
                state.process = nil
            }
        }
    }

    private enum Readiness {
        case ready
        case portInUse(log: String)
        case failed(reason: String, log: String)
    }

    private func awaitReady(_ process: ChildProcess, port: UInt16, logStart: Int) async -> Readiness {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: Self.startTimeout)
        var probePort: UInt16?
        while true {
            let log = String(logText().utf8.dropFirst(logStart)) ?? ""
            if let status = process.exitStatus {
                clear(process)
                if log.contains("Address already in use") {
                    return .portInUse(log: log)
                }
                return .failed(reason: "exited with status \(status)", log: log)
            }
            // "running" proves our process bound the port (a TCP probe alone could reach
            // whoever stole it). Waiting until the broker logged the probe's own connection
            // means the probe is behind us: tests that count connections in the log start
            // from a settled log.
            if let probePort {
                // A TLS listener logs the probe, which never handshakes, as a failed client.
                let logged = log.contains("New connection from \(host):\(probePort) ")
                    || log.contains("Client connection from \(host) failed")
                if logged && process.isRunning {
                    return .ready
                }
            } else if probePort == nil, log.contains(" running"), process.isRunning {
                guard configuration.launcher.isDirect else {
                    // In another network namespace: the listener is out of this process's reach.
                    return .ready
                }
                probePort = FreePort.probe(host: host, port: port)
                if probePort != nil && !configuration.connectionMessages {
                    // Nothing will log the probe; its acceptance is the proof.
                    return .ready
                }
            }
            if clock.now >= deadline {
                process.kill()
                _ = await process.waitForExit(timeout: Self.stopTimeout)
                clear(process)
                return .failed(reason: "did not accept connections within \(Self.startTimeout)", log: log)
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    private func renderConfiguration(port: UInt16) throws -> String {
        let templatePath = TestPaths.brokerConfig(configuration.template)
        var text = try TextFile.read(templatePath)
        let values = [
            "${FOG_PORT}": String(port),
            "${FOG_BIND}": configuration.bindAddress,
            "${FOG_DATA_DIR}": dataDirectory,
            "${FOG_USER}": Self.currentUserName(),
        ]
        for (placeholder, value) in values {
            text = text.replacingOccurrences(of: placeholder, with: value)
        }
        var lines = [
            "",
            "# Appended by FogTestSupport for \(templatePath)",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "persistence \(configuration.persistence)",
            "allow_anonymous \(configuration.allowAnonymous)",
        ]
        if configuration.connectionMessages {
            lines.append("connection_messages true")
        }
        if let tls = configuration.tls {
            // Listener-scoped: they apply to the last listener the template declared.
            lines += ["cafile \(tls.caFile)", "certfile \(tls.certFile)", "keyfile \(tls.keyFile)"]
            if configuration.requireClientCertificate {
                lines.append("require_certificate true")
            }
        }
        if let plugin = configuration.plugin {
            lines.append("plugin \(plugin)")
            lines += configuration.pluginOptions.map { "plugin_opt_\($0.0) \($0.1)" }
        }
        lines += configuration.extraLines
        return text + "\n" + lines.joined(separator: "\n") + "\n"
    }

    /// Mosquitto started as root switches to `user` (default "mosquitto"), which could not
    /// write our temporary files; running as whoever runs the tests keeps them usable.
    private static func currentUserName() -> String {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else {
            return String(geteuid())
        }
        return String(cString: name)
    }
}
