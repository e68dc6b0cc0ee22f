@testable import FogAgent
import FogCore
import FogIntegrationSupport
import FogTestSupport
import Foundation
import Testing

/// `fog-agent run` as a real process: started from a persisted state with no controller.
@Suite struct AgentProcessTests {
    @Test func agentListensOnlyOnLoopbackAndStopsItsChildrenOnSigterm() async throws {
        let scratch = try TemporaryDirectory(prefix: "fog-agent-process")
        defer { scratch.remove() }
        let state = scratch.path + "/state"
        let standIn = try AgentTestKit.writeFogLinkStandIn(in: scratch.path)
        try AgentState(
            agentID: OpaqueID(), signingKey: SigningKey(), agreementKey: AgreementKey(), secret: Secret(),
            controllerID: OpaqueID(), controllerSigningKey: SigningKey().publicKey,
            controllerAgreementKey: AgreementKey().publicKey, comsatURL: "mqtt://127.0.0.1:\(try FreePort.next())",
            certificateAuthorityPEM: nil, commandTopic: ComSatTopic.topic(.agentCommand, OpaqueID()),
            replyTopic: ComSatTopic.topic(.agentReply, OpaqueID())
        ).save(to: state)

        // Last known state: one microservice and one link half, written as the runtime keeps them.
        let marker = scratch.path + "/microservice-started"
        try await AgentTestKit.withRuntime(stateDirectory: state) { runtime in
            let spec = MicroserviceSpec(
                name: "worker", executablePath: "/bin/sh", arguments: ["-c", "touch \"$MARKER\"; exec sleep 60"],
                environment: ["MARKER": marker])
            #expect(await runtime.apply(.deployMicroservice(spec)) == .applied)
        }
        try? FileManager.default.removeItem(atPath: marker)
        let linkID = OpaqueID()
        let assignment = LinkHalfAssignment(
            linkID: linkID, side: .b, comsatURL: "mqtts://comsat.invalid:8883",
            publishTopic: ComSatTopic.topic(.linkDirection, OpaqueID()),
            subscribeTopic: ComSatTopic.topic(.linkDirection, OpaqueID()), username: "u\(OpaqueID())",
            clientID: "c\(OpaqueID())", preSharedKey: Secret(),
            routes: [LinkRoute(channel: 1, direction: .inbound, localTopic: LocalBusTopic.input(of: "worker"))])
        let halfDirectory = state + "/links/\(linkID)-b"
        try FileManager.default.createDirectory(atPath: halfDirectory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        _ = FileManager.default.createFile(
            atPath: halfDirectory + "/assignment", contents: Data(try assignment.encoded()), attributes: [.posixPermissions: 0o600])

        let agent = try ChildProcess.spawn(
            TestPaths.builtProduct("fog-agent"),
            ["run", "--state", state, "--fog-link", standIn, "--bus-template", TestPaths.brokerConfig("local-bus.conf")],
            outputFile: scratch.path + "/agent.log")
        var descendants: [Int32] = []
        do {
            try await waitUntil("microservice and link half running", timeout: .seconds(30)) {
                FileManager.default.fileExists(atPath: marker)
                    && FileManager.default.fileExists(atPath: halfDirectory + "/mqtt.secret")
            }
            descendants = ProcessTree.descendants(of: [agent.pid])
            // fog-agent, mosquitto, the microservice's sleep, the stand-in and its sleep.
            #expect(descendants.count >= 4, "\(descendants)")
            // The bus may be between a supervised restart and its listen() under load: wait for
            // a listening socket, then check every one the agent's processes hold.
            try await waitUntil("the bus listening", timeout: .seconds(10)) {
                !ListeningSockets.of(processes: [agent.pid]).isEmpty
            }
            let sockets = ListeningSockets.of(processes: [agent.pid])
            #expect(sockets.allSatisfy { $0.isLoopback }, "\(sockets)")
        } catch {
            agent.kill()
            _ = await agent.waitForExit(timeout: .seconds(10))
            throw error
        }

        agent.terminate()
        let status = await agent.waitForExit(timeout: .seconds(30))
        let log = (try? String(contentsOfFile: scratch.path + "/agent.log", encoding: .utf8)) ?? ""
        #expect(status == 0, "\(log)")
        if status == nil {
            agent.kill()
            _ = await agent.waitForExit(timeout: .seconds(10))
        }
        try await waitUntil("every child ended", timeout: .seconds(10)) {
            descendants.allSatisfy(ProcessTree.hasEnded)
        }
        // Mosquitto saved its persistence on SIGTERM; the state is there for the next start.
        #expect(FileManager.default.fileExists(atPath: state + "/microservices/worker.spec"))
        #expect(FileManager.default.fileExists(atPath: halfDirectory + "/assignment"))
    }

    /// After a `kill -9` of the agent its children live on as orphans; the next agent ends
    /// them (matched by pid and start time) before starting its own.
    @Test func restartedAgentEndsChildrenOfACrashedOne() async throws {
        let scratch = try TemporaryDirectory(prefix: "fog-agent-crash")
        defer { scratch.remove() }
        let state = scratch.path + "/state"
        try AgentState(
            agentID: OpaqueID(), signingKey: SigningKey(), agreementKey: AgreementKey(), secret: Secret(),
            controllerID: OpaqueID(), controllerSigningKey: SigningKey().publicKey,
            controllerAgreementKey: AgreementKey().publicKey, comsatURL: "mqtt://127.0.0.1:\(try FreePort.next())",
            certificateAuthorityPEM: nil, commandTopic: ComSatTopic.topic(.agentCommand, OpaqueID()),
            replyTopic: ComSatTopic.topic(.agentReply, OpaqueID())
        ).save(to: state)
        let marker = scratch.path + "/started"
        try await AgentTestKit.withRuntime(stateDirectory: state) { runtime in
            let spec = MicroserviceSpec(
                name: "worker", executablePath: "/bin/sh", arguments: ["-c", "echo $$ >> \"$MARKER\"; exec sleep 60"],
                environment: ["MARKER": marker])
            #expect(await runtime.apply(.deployMicroservice(spec)) == .applied)
            try await waitUntil("worker ran", timeout: .seconds(10)) { FileManager.default.fileExists(atPath: marker) }
        }
        try FileManager.default.removeItem(atPath: marker)
        let arguments = ["run", "--state", state, "--bus-template", TestPaths.brokerConfig("local-bus.conf")]

        let crashed = try ChildProcess.spawn(TestPaths.builtProduct("fog-agent"), arguments, outputFile: scratch.path + "/first.log")
        try await waitUntil("first agent's worker running", timeout: .seconds(30)) {
            FileManager.default.fileExists(atPath: marker)
        }
        let orphans = ProcessTree.descendants(of: [crashed.pid]).filter { $0 != crashed.pid }
        #expect(orphans.count >= 2, "bus and worker")
        crashed.kill()
        _ = await crashed.waitForExit(timeout: .seconds(10))
        #expect(!orphans.contains(where: ProcessTree.hasEnded), "orphans outlive a kill -9")

        let agent = try ChildProcess.spawn(TestPaths.builtProduct("fog-agent"), arguments, outputFile: scratch.path + "/second.log")
        defer { agent.kill() }
        do {
            try await waitUntil("orphans ended and a new worker started", timeout: .seconds(30)) {
                let lines = ((try? String(contentsOfFile: marker, encoding: .utf8)) ?? "").split(separator: "\n")
                return lines.count >= 2 && orphans.allSatisfy(ProcessTree.hasEnded)
            }
        } catch {
            for pid in orphans { kill(pid, SIGKILL) }
            throw error
        }
        agent.terminate()
        #expect(await agent.waitForExit(timeout: .seconds(30)) == 0)
    }
}
