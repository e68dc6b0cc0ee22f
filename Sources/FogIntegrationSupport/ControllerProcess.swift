import FogController
public import FogTestSupport
import Foundation
import Testing

/// A real `fog-controller` child: `init` into a temp home, then `run --admin-port 0`, with
/// the port read from its startup line. `run(_:)` stops it with SIGTERM (checking it exits
/// cleanly) and deletes the directory, whether the body returned or threw.
public final class ControllerProcess {
    public let directory: TemporaryDirectory
    public let process: ChildProcess
    public let port: Int
    /// Where `fog-controller run` and every `fogctl` call start (its admin API is on the
    /// loopback of that network namespace).
    public let launcher: ProcessLauncher
    public var homePath: String { directory.path + "/home" }
    public var tokenPath: String { homePath + "/admin.token" }
    public var logPath: String { directory.path + "/controller.log" }
    public var url: String { "http://127.0.0.1:\(port)" }

    public static var executable: String { TestPaths.builtProduct("fog-controller") }
    public static var fogctl: String { TestPaths.builtProduct("fogctl") }

    private init(directory: TemporaryDirectory, process: ChildProcess, port: Int, launcher: ProcessLauncher) {
        self.directory = directory
        self.process = process
        self.port = port
        self.launcher = launcher
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The port in the `admin api listening on 127.0.0.1:PORT` line, once it is there.
    public static func listeningPort(in log: String) -> Int? {
        let marker = "admin api listening on 127.0.0.1:"
        guard let range = log.range(of: marker) else { return nil }
        return Int(log[range.upperBound...].prefix { $0.isNumber })
    }

    public static func run(
        launcher: ProcessLauncher = .direct, _ body: (ControllerProcess) async throws -> Void
    ) async throws {
        let directory = try TemporaryDirectory(prefix: "controller-process")
        defer { directory.remove() }
        let home = directory.path + "/home"
        let initialized = try await ChildProcess.run(executable, ["init", "--home", home], timeout: .seconds(30))
        try #require(initialized.status == 0, "fog-controller init failed: \(initialized.output)")
        let logPath = directory.path + "/controller.log"
        let process = try launcher.spawn(
            executable, ["run", "--home", home, "--admin-port", "0", "--log-level", "debug"], outputFile: logPath)
        var port: Int?
        do {
            try await waitUntil("fog-controller printed its admin port", timeout: .seconds(30)) {
                let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                port = listeningPort(in: log)
                return port != nil || !process.isRunning
            }
        } catch {
            process.kill()
            _ = await process.waitForExit(timeout: .seconds(5))
            throw error
        }
        guard let port else {
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            Issue.record("fog-controller run exited early with \(process.exitStatus ?? -1): \(log)")
            return
        }
        let controller = ControllerProcess(directory: directory, process: process, port: port, launcher: launcher)
        do {
            try await body(controller)
        } catch {
            process.kill()
            _ = await process.waitForExit(timeout: .seconds(5))
            FileHandle.standardError.write(Data("fog-controller log:\n\(controller.log)\n".utf8))
            throw error
        }
        process.terminate()
        let status = await process.waitForExit(timeout: .seconds(10))
        if status == nil { process.kill() }
        #expect(status == 0, "fog-controller did not exit cleanly on SIGTERM within 10 s: \(controller.log)")
    }

    /// Runs `fogctl` against this controller with its token.
    public func fogctl(_ arguments: [String], tokenFile: String? = nil) async throws -> (status: Int32, output: String) {
        try await launcher.run(
            Self.fogctl, arguments + ["--controller", url, "--token-file", tokenFile ?? tokenPath], timeout: .seconds(30))
    }
}
