@testable import FogAgent
import FogCore
import FogIntegrationSupport
import FogTestSupport
import Foundation
import Testing

/// Runs link halves with a shell stand-in for fog-link that follows the process contract.
@Suite struct LinkHalfSupervisorTests {
    private func assignment(_ linkID: OpaqueID, routes: [LinkRoute]) -> LinkHalfAssignment {
        LinkHalfAssignment(
            linkID: linkID, side: .a, comsatURL: "mqtts://comsat.invalid:8883",
            publishTopic: ComSatTopic.topic(.linkDirection, OpaqueID()),
            subscribeTopic: ComSatTopic.topic(.linkDirection, OpaqueID()), username: OpaqueID().description,
            clientID: OpaqueID().description, preSharedKey: Secret(), routes: routes)
    }

    @Test func halfRunsReportsRestartsOnRouteChangeAndWipesWithoutTrace() async throws {
        let scratch = try TemporaryDirectory(prefix: "fog-link-half")
        defer { scratch.remove() }
        let standIn = try AgentTestKit.writeFogLinkStandIn(in: scratch.path)
        let state = scratch.path + "/state"
        let configuration = AgentTestKit.runtimeConfiguration(fogLink: standIn)
        let linkID = OpaqueID()
        let first = assignment(
            linkID,
            routes: [
                LinkRoute(channel: 1, direction: .outbound, localTopic: LocalBusTopic.output(of: "sensor")),
                LinkRoute(channel: 2, direction: .inbound, localTopic: LocalBusTopic.input(of: "display")),
            ])
        let newRoutes = [LinkRoute(channel: 3, direction: .outbound, localTopic: LocalBusTopic.output(of: "gauge"))]
        let halfDirectory = state + "/links/\(linkID)-a"

        let busUsername = try await AgentTestKit.withRuntime(stateDirectory: state, configuration: configuration) { runtime in
            let observer = RecordingObserver()
            await runtime.setObserver(observer)
            #expect(await runtime.apply(.assignLinkHalf(first)) == .applied)

            try await waitUntil("secret reported and half up", timeout: .seconds(10)) {
                let up = await runtime.currentStatus().linkHalves.first?.state == .up
                return up && !observer.reports.isEmpty && observer.forgotten.contains(linkID)
            }
            let secret = try String(contentsOfFile: halfDirectory + "/mqtt.secret", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(observer.reports == [LinkSecretReport(linkID: linkID, side: .a, secretHash: SecretHash(of: secret.utf8))])
            let half = try #require(await runtime.currentStatus().linkHalves.first)
            #expect(half.queuedMessages == 3 && half.queuedBytes == 96)

            #expect(try fileMode(halfDirectory) & 0o777 == 0o700)
            #expect(try fileMode(halfDirectory + "/assignment") & 0o777 == 0o600)
            #expect(try Data(contentsOf: URL(fileURLWithPath: halfDirectory + "/assignment")) == Data(try first.encoded()))

            // The bus user reads the outbound route's topic, publishes and reads (for the echo)
            // the inbound one, and publishes and reads its marker topic, which like its client
            // id is named after the random username; its password reaches fog-link only
            // through a 0600 file.
            let owner = LocalBusOwner.linkHalf(linkID: linkID, side: .a)
            let credentials = try #require(await runtime.bus.credentials(for: owner))
            #expect(!credentials.username.contains(linkID.description))
            let marker = "fog-link/\(credentials.username)/delivered"
            let acl = try String(contentsOfFile: runtime.bus.directory + "/acl", encoding: .utf8)
            #expect(
                acl.contains(
                    "user \(credentials.username)\ntopic write \(marker)\ntopic write ms/display/in\n"
                        + "topic read \(marker)\ntopic read ms/display/in\ntopic read ms/sensor/out\n"), "\(acl)")
            let log = try String(contentsOfFile: state + "/links/\(linkID)-a.log", encoding: .utf8)
            let port = try #require(await runtime.bus.port)
            let passwordFile = runtime.bus.directory + "/secrets/" + credentials.username
            #expect(
                log.contains(
                    "fog-link stand-in run --dir \(halfDirectory) --bus-host 127.0.0.1 --bus-port \(port) "
                        + "--bus-username \(credentials.username) --bus-password-file \(passwordFile) "
                        + "--bus-client-id \(credentials.username) --bus-marker-topic \(marker)"), "\(log)")
            #expect(!log.contains(credentials.password))
            #expect(try String(contentsOfFile: passwordFile, encoding: .utf8) == credentials.password)
            #expect(try fileMode(passwordFile) & 0o777 == 0o600)

            // The same assignment again changes nothing.
            let pid = try #require(await runtime.linkHalves.pid(linkID: linkID, side: .a))
            #expect(await runtime.apply(.assignLinkHalf(first)) == .applied)
            #expect(await runtime.linkHalves.pid(linkID: linkID, side: .a) == pid)

            // New routes: rewritten assignment and ACL, restarted process.
            #expect(await runtime.apply(.setLinkRoutes(linkID: linkID, side: .a, routes: newRoutes)) == .applied)
            try await waitUntil("restarted", timeout: .seconds(10)) {
                let current = await runtime.linkHalves.pid(linkID: linkID, side: .a)
                return current != nil && current != pid
            }
            var changed = first
            changed.routes = newRoutes
            #expect(try Data(contentsOf: URL(fileURLWithPath: halfDirectory + "/assignment")) == Data(try changed.encoded()))
            let newACL = try String(contentsOfFile: runtime.bus.directory + "/acl", encoding: .utf8)
            #expect(
                newACL.contains(
                    "user \(credentials.username)\ntopic write \(marker)\ntopic read \(marker)\ntopic read ms/gauge/out\n"),
                "\(newACL)")
            #expect(!newACL.contains("ms/display/in") && !newACL.contains("ms/sensor/out"))

            guard case .failed = await runtime.apply(.setLinkRoutes(linkID: OpaqueID(), side: .b, routes: newRoutes)) else {
                Issue.record("routes for an unknown half must fail")
                return credentials.username
            }
            return credentials.username
        }

        // A restarted agent runs the half again from its stored assignment, then wipes it.
        try await AgentTestKit.withRuntime(stateDirectory: state, configuration: configuration) { runtime in
            try await waitUntil("half restored", timeout: .seconds(10)) {
                await runtime.currentStatus().linkHalves.first?.state == .up
            }
            let pid = try #require(await runtime.linkHalves.pid(linkID: linkID, side: .a))
            let secret = try Data(contentsOf: URL(fileURLWithPath: halfDirectory + "/mqtt.secret"))
            let port = try #require(await runtime.bus.port)
            let passwordFile = runtime.bus.directory + "/secrets/" + busUsername

            #expect(await runtime.apply(.stopAndWipeLinkHalf(linkID: linkID, side: .a)) == .applied)
            #expect(!FileManager.default.fileExists(atPath: "/proc/\(pid)/stat"))
            // `fog-link wipe` ran once, after the process stopped, with the same bus arguments.
            let wipes = try String(contentsOfFile: scratch.path + "/wipe.log", encoding: .utf8)
            #expect(
                wipes
                    == "wipe --dir \(halfDirectory) --bus-host 127.0.0.1 --bus-port \(port) --bus-username \(busUsername) "
                    + "--bus-password-file \(passwordFile) --bus-client-id \(busUsername) "
                    + "--bus-marker-topic fog-link/\(busUsername)/delivered\n")
            #expect(!FileManager.default.fileExists(atPath: halfDirectory))
            #expect(await runtime.currentStatus().linkHalves.isEmpty)

            var needles: [(String, [UInt8])] = [
                ("link id", Array(linkID.description.utf8)), ("raw link id", linkID.bytes),
                ("bus user", Array(busUsername.utf8)), ("publish topic", Array(first.publishTopic.utf8)),
                ("subscribe topic", Array(first.subscribeTopic.utf8)), ("ComSat username", Array(first.username.utf8)),
                ("client id", Array(first.clientID.utf8)), ("PSK", first.preSharedKey.bytes),
                ("PSK text", Array(first.preSharedKey.text.utf8)), ("half secret", Array(secret)),
                ("route topic", Array("ms/gauge/out".utf8)),
            ]
            needles.removeAll { $0.1.isEmpty }
            let files = AgentTestKit.files(under: state)
            #expect(files.contains { $0.hasSuffix("/bus/acl") }, "the scan must cover the bus files")
            for file in files {
                let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
                for (name, needle) in needles {
                    let holds = contains(bytes, needle)
                    #expect(!holds, "\(file) still holds the \(name)")
                }
                #expect(!file.contains(linkID.description), "\(file) is named after the link")
            }
            #expect(await runtime.apply(.stopAndWipeLinkHalf(linkID: linkID, side: .a)) == .applied)
            #expect(try String(contentsOfFile: scratch.path + "/wipe.log", encoding: .utf8) == wipes, "nothing left to wipe")
        }
    }

    private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains { start in
            haystack[start..<(start + needle.count)].elementsEqual(needle)
        }
    }
}
