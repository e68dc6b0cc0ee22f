@testable import FogAgent
import FogCore
import FogMQTT
import FogTestSupport
import Foundation
import Logging
import Synchronization
import Testing

/// Shared pieces of the agent runtime tests: a quiet logger, temporary state directories,
/// bus clients that record what they receive, and fog-link stand-ins.
enum AgentTestKit {
    static let logger = Logger(label: "fogfabric.test.agent-runtime") { _ in SwiftLogNoOpLogHandler() }

    static var busConfiguration: LocalBusConfiguration {
        LocalBusConfiguration(templatePath: TestPaths.brokerConfig("local-bus.conf"))
    }

    /// Runs `body` with a started bus in a fresh directory; stops the bus and deletes the
    /// directory afterwards, on failure too.
    static func withBus<T>(_ body: (LocalBus) async throws -> T) async throws -> T {
        let directory = try TemporaryDirectory(prefix: "fog-bus")
        defer { directory.remove() }
        let bus = try LocalBus(directory: directory.path + "/bus", configuration: busConfiguration, logger: logger)
        try await bus.start()
        do {
            let result = try await body(bus)
            await bus.stop()
            return result
        } catch {
            await bus.stop()
            throw error
        }
    }

    /// Runs `body` with a started runtime on `stateDirectory` (a fresh one when nil); shuts
    /// it down afterwards, on failure too.
    static func withRuntime<T>(
        stateDirectory: String? = nil, configuration: AgentRuntimeConfiguration = runtimeConfiguration(),
        _ body: (AgentRuntime) async throws -> T
    ) async throws -> T {
        let temporary = stateDirectory == nil ? try TemporaryDirectory(prefix: "fog-agent-state") : nil
        defer { temporary?.remove() }
        let runtime = try AgentRuntime(
            stateDirectory: stateDirectory ?? (temporary!.path + "/state"), configuration: configuration, logger: logger)
        do {
            try await runtime.start()
            let result = try await body(runtime)
            await runtime.shutdown()
            return result
        } catch {
            await runtime.shutdown()
            throw error
        }
    }

    static func runtimeConfiguration(
        fogLink: String? = nil, logFileLimit: Int = 1 << 20,
        restart: RestartPolicy = RestartPolicy(initialDelay: .milliseconds(100), maximumDelay: .seconds(2), stopGrace: .seconds(2))
    ) -> AgentRuntimeConfiguration {
        AgentRuntimeConfiguration(
            bus: busConfiguration, microserviceRestart: restart, linkHalfRestart: restart, logFileLimit: logFileLimit,
            fogLinkPath: fogLink ?? "/nonexistent/fog-link")
    }

    /// A connected MQTT client on the bus that records every message it receives.
    static func client(_ bus: LocalBus, _ credentials: LocalBusCredentials, id: String) async throws -> BusClient {
        let port = try #require(await bus.port)
        let client = MQTTClient(
            configuration: MQTTConfiguration(
                host: bus.host, port: port, clientID: id, username: credentials.username, password: credentials.password,
                operationTimeout: .seconds(10)),
            logger: logger)
        _ = try await client.connect()
        return BusClient(client)
    }


    /// Every regular file under `directory`, recursively.
    static func files(under directory: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let path = directory + "/" + relative
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                files.append(path)
            }
        }
        return files
    }

    /// Writes an executable shell script standing in for `fog-link`: `run` follows the process
    /// contract's stdout lines (a secret in HALF_DIR, its hash, states, a queue line) and exits 0
    /// on SIGTERM; `wipe` appends its arguments to `wipe.log` beside the script and exits 0.
    /// Tests only; the product runs the real fog-link.
    static func writeFogLinkStandIn(in directory: String) throws -> String {
        let path = directory + "/fog-link-stand-in"
        let script = """
            #!/bin/sh
            if [ "$1" = wipe ]; then
              echo "$*" >> "$(dirname "$0")/wipe.log"
              exit 0
            fi
            echo "fog-link stand-in $*" >&2
            dir=""
            while [ $# -gt 0 ]; do
              case "$1" in
                --dir) dir="$2"; shift 2 ;;
                *) shift ;;
              esac
            done
            [ -f "$dir/mqtt.secret" ] || head -c 32 /dev/urandom | base64 | tr -d '\\n=' | tr '+/' '-_' > "$dir/mqtt.secret"
            hash=$(tr -d '\\n' < "$dir/mqtt.secret" | sha256sum | cut -d' ' -f1)
            echo "secret-hash $hash"
            echo "state connecting"
            echo "state up"
            echo "queue 3 96"
            trap 'exit 0' TERM
            while :; do sleep 1 & wait $!; done

            """
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        guard chmod(path, 0o755) == 0 else {
            throw TestSupportError(.fileIO, "chmod \(path) failed")
        }
        return path
    }
}

/// An MQTT client plus everything it received, in order.
final class BusClient: Sendable {
    let client: MQTTClient
    private final class Inbox: Sendable {
        let messages = Mutex<[(topic: String, payload: String)]>([])
    }
    private let inbox = Inbox()
    private let collector: Task<Void, Never>

    init(_ client: MQTTClient) {
        self.client = client
        let inbox = self.inbox
        collector = Task {
            for await message in client.messages {
                inbox.messages.withLock { $0.append((message.topic, String(decoding: message.payload, as: UTF8.self))) }
            }
        }
    }

    var messages: [(topic: String, payload: String)] { inbox.messages.withLock { $0 } }

    var payloads: [String] { messages.map(\.payload) }

    func close() async {
        await client.disconnect()
        collector.cancel()
    }
}

/// Records what the runtime reports to the controller side.
final class RecordingObserver: AgentRuntimeObserver {
    private let state = Mutex<(reports: [LinkSecretReport], forgotten: [OpaqueID], changes: Int)>(([], [], 0))

    func report(_ report: LinkSecretReport) async { state.withLock { $0.reports.append(report) } }
    func forgetReport(linkID: OpaqueID, side: Grant.LinkSide) async { state.withLock { $0.forgotten.append(linkID) } }
    func statusChanged() async { state.withLock { $0.changes += 1 } }

    var reports: [LinkSecretReport] { state.withLock { $0.reports } }
    var forgotten: [OpaqueID] { state.withLock { $0.forgotten } }
}
