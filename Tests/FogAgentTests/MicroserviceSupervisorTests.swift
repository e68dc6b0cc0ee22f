@testable import FogAgent
import FogCore
import FogIntegrationSupport
import FogTestSupport
import Foundation
import Testing

@Suite struct MicroserviceSupervisorTests {
    @Test func microserviceGetsBusCredentialsTopicsAndConfig() async throws {
        try await AgentTestKit.withRuntime { runtime in
            let spec = MicroserviceSpec(
                name: "probe", executablePath: "/bin/sh",
                arguments: ["-c", "echo \"$FOG_BUS_HOST $FOG_BUS_PORT $FOG_BUS_USERNAME $FOG_IN_TOPIC $FOG_OUT_TOPIC $FOG_CONFIG $EXTRA\"; exec sleep 60"],
                environment: ["EXTRA": "extra-value", "FOG_IN_TOPIC": "spoofed"], configuration: Array("{\"rate\":5}".utf8))
            #expect(await runtime.apply(.deployMicroservice(spec)) == .applied)
            let log = runtime.microservices.logPath("probe")
            try await waitUntil("probe printed its environment", timeout: .seconds(10)) {
                ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("\n")
            }
            let port = try #require(await runtime.bus.port)
            let text = try String(contentsOfFile: log, encoding: .utf8)
            #expect(text == "127.0.0.1 \(port) ms.probe ms/probe/in ms/probe/out {\"rate\":5} extra-value\n")
            #expect(try fileMode(log) & 0o777 == 0o600)
            #expect(try fileMode(runtime.microservices.directory + "/probe.spec") & 0o777 == 0o600)

            // The password it got is the one the bus accepts.
            let credentials = try #require(await runtime.bus.credentials(for: .microservice(name: "probe")))
            let pid = try #require(await runtime.microservices.pid(of: "probe"))
            let environ = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ"))
            #expect(environ.split(separator: 0).contains(Data("FOG_BUS_PASSWORD=\(credentials.password)".utf8)))
            let client = try await AgentTestKit.client(runtime.bus, credentials, id: "probe-check")
            await client.close()

            // Deploying the same spec again is a no-op: same process.
            #expect(await runtime.apply(.deployMicroservice(spec)) == .applied)
            #expect(await runtime.microservices.pid(of: "probe") == pid)
        }
    }

    @Test func crashedMicroserviceIsRestartedWithBackoff() async throws {
        let policy = RestartPolicy(
            initialDelay: .milliseconds(100), maximumDelay: .milliseconds(800), stablePeriod: .seconds(60),
            stopGrace: .seconds(5))
        try await AgentTestKit.withRuntime(configuration: AgentTestKit.runtimeConfiguration(restart: policy)) { runtime in
            let clock = ContinuousClock()
            let started = clock.now
            let spec = MicroserviceSpec(name: "crasher", executablePath: "/bin/sh", arguments: ["-c", "echo run; exit 3"])
            #expect(await runtime.apply(.deployMicroservice(spec)) == .applied)
            try await waitUntil("four crashes", timeout: .seconds(20)) {
                await runtime.microservices.status().first?.restarts ?? 0 >= 4
            }
            // Waits of 100, 200 and 400 ms separate the four runs; restarting at once would
            // take a few milliseconds in all.
            #expect(clock.now - started >= .milliseconds(700))
            let status = try #require(await runtime.microservices.status().first)
            #expect(status.name == "crasher")
            let log = try String(contentsOfFile: runtime.microservices.logPath("crasher"), encoding: .utf8)
            #expect(log.components(separatedBy: "run\n").count - 1 >= 4)
            let (_, halves) = await runtime.currentStatus()
            #expect(halves.isEmpty)
        }
    }

    @Test func removedMicroserviceIsStoppedAndForgotten() async throws {
        try await AgentTestKit.withRuntime { runtime in
            // Ignores SIGTERM, so the stop must escalate to SIGKILL; started as a shell with a
            // child, so the whole process group must go.
            let spec = MicroserviceSpec(
                name: "stubborn", executablePath: "/bin/sh", arguments: ["-c", "trap '' TERM; sleep 60 & wait"])
            #expect(await runtime.apply(.deployMicroservice(spec)) == .applied)
            try await waitUntil("running", timeout: .seconds(10)) {
                await runtime.microservices.status().first?.state == .running
            }
            let pid = try #require(await runtime.microservices.pid(of: "stubborn"))
            try await waitUntil("the shell started its child", timeout: .seconds(10)) {
                ProcessTree.descendants(of: [pid]).count >= 2
            }
            let group = ProcessTree.descendants(of: [pid])
            #expect(await runtime.apply(.removeMicroservice(name: "stubborn")) == .applied)
            // The shell is reaped by the supervisor, its child by init once the group was killed.
            try await waitUntil("the whole group ended", timeout: .seconds(10)) {
                group.allSatisfy(ProcessTree.hasEnded)
            }
            #expect(await runtime.microservices.status().isEmpty)
            #expect(!FileManager.default.fileExists(atPath: runtime.microservices.directory + "/stubborn.spec"))
            #expect(await runtime.bus.credentials(for: .microservice(name: "stubborn")) == nil)
            let acl = try String(contentsOfFile: runtime.bus.directory + "/acl", encoding: .utf8)
            #expect(!acl.contains("stubborn"))
            // Removing what is absent is still applied (idempotent).
            #expect(await runtime.apply(.removeMicroservice(name: "stubborn")) == .applied)
        }
    }

    @Test func logFilesStayWithinTheirBound() async throws {
        let limit = 64 * 1_024
        try await AgentTestKit.withRuntime(configuration: AgentTestKit.runtimeConfiguration(logFileLimit: limit)) { runtime in
            let spec = MicroserviceSpec(
                name: "chatty", executablePath: "/bin/sh",
                arguments: ["-c", "yes 0123456789abcdef | head -c 300000; echo done >&2; exec sleep 60"])
            #expect(await runtime.apply(.deployMicroservice(spec)) == .applied)
            let log = runtime.microservices.logPath("chatty")
            try await waitUntil("all output written", timeout: .seconds(20)) {
                ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").hasSuffix("done\n")
            }
            let current = try FileManager.default.attributesOfItem(atPath: log)[.size] as? Int ?? -1
            let rotated = try FileManager.default.attributesOfItem(atPath: log + ".1")[.size] as? Int ?? -1
            #expect(current > 0 && current <= limit)
            #expect(rotated == limit)
        }
    }

    @Test func deployedSpecsSurviveAnAgentRestart() async throws {
        let directory = try TemporaryDirectory(prefix: "fog-agent-restart")
        defer { directory.remove() }
        let state = directory.path + "/state"
        let spec = MicroserviceSpec(name: "durable", executablePath: "/bin/sh", arguments: ["-c", "echo up; exec sleep 60"])
        let firstPID = try await AgentTestKit.withRuntime(stateDirectory: state) { runtime in
            #expect(await runtime.apply(.deployMicroservice(spec)) == .applied)
            try await waitUntil("running", timeout: .seconds(10)) { await runtime.microservices.pid(of: "durable") != nil }
            return try #require(await runtime.microservices.pid(of: "durable"))
        }
        // Shut down: the child is gone, the spec stays.
        #expect(ProcessTree.hasEnded(firstPID))
        try await AgentTestKit.withRuntime(stateDirectory: state) { runtime in
            // No command: the runtime starts from the persisted spec alone.
            try await waitUntil("restored", timeout: .seconds(10)) { await runtime.microservices.pid(of: "durable") != nil }
            let status = await runtime.microservices.status()
            #expect(status.map(\.name) == ["durable"])
            #expect(try runtime.microservices.storedSpecs() == [spec])
        }
    }
}
