import FogController
import FogCore
import FogIntegrationSupport
import FogTestSupport
import Foundation
import Testing

/// `fogctl` as a built binary against a real `fog-controller run`.
@Suite struct FogctlTests {
    private static func decode<T: Decodable>(_ type: T.Type, _ output: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: Data(output.utf8))
    }

    @Test func addsListsAndPinsComSats() async throws {
        try await ControllerProcess.run { controller in
            let bundlePath = controller.directory.path + "/edge-1.conf"
            let added = try await controller.fogctl(["comsat", "add", "edge-1", "--url", "mqtt://127.0.0.1:1883", "--output", bundlePath])
            #expect(added.status == 0, "\(added.output)")
            #expect(added.output.contains("plugin settings written to \(bundlePath)"))
            let bundle = try String(contentsOfFile: bundlePath, encoding: .utf8)
            #expect(bundle.hasPrefix("plugin_opt_controller_username controller\n"))
            #expect(bundle.contains("plugin_opt_controller_secret_hash "))

            let ca = try TestCertificateAuthority().writeCertificate(to: controller.directory.path)
            let json = try await controller.fogctl([
                "comsat", "add", "edge-2", "--url", "mqtts://comsat.example.org:8884", "--ca", ca, "--json",
            ])
            #expect(json.status == 0, "\(json.output)")
            let result = try Self.decode(ComSatEnrolmentResult.self, json.output)
            #expect(result.comsat.caFile == ca)
            #expect(result.pluginOptions.contains { $0.name == "comsat_id" && $0.value == result.comsat.id })

            let table = try await controller.fogctl(["comsat", "ls"])
            #expect(table.status == 0, "\(table.output)")
            let lines = table.output.split(separator: "\n")
            #expect(lines.first?.hasPrefix("NAME") == true)
            #expect(lines.count == 3)
            #expect(lines.dropFirst().allSatisfy { $0.contains("not pinned") })

            let listed = try await controller.fogctl(["comsat", "ls", "--json"])
            #expect(try Self.decode(ComSatList.self, listed.output).comsats.map(\.name) == ["edge-1", "edge-2"])

            let keyFile = controller.directory.path + "/identity.key.pub"
            try Data("\(SigningKey().publicKey)\n".utf8).write(to: URL(fileURLWithPath: keyFile))
            let pinned = try await controller.fogctl(["comsat", "pin", "edge-1", "--key-file", keyFile])
            #expect(pinned.status == 0, "\(pinned.output)")
            #expect(pinned.output.contains("edge-1"))
            #expect(pinned.output.contains(" pinned "))
            #expect(!pinned.output.contains("not pinned"))

            let taken = try await controller.fogctl(["comsat", "add", "edge-1", "--url", "mqtt://127.0.0.1:1883"])
            #expect(taken.status == 1)
            #expect(taken.output.contains("error:"))
            #expect(taken.output.contains("hint: choose another name"), "\(taken.output)")

            let unknown = try await controller.fogctl(["comsat", "pin", "nosuch", "--key-file", keyFile])
            #expect(unknown.status == 1)
            #expect(unknown.output.contains("no ComSat is named 'nosuch'"), "\(unknown.output)")
            #expect(unknown.output.contains("fogctl comsat ls"))
        }
    }

    @Test func explainsABadToken() async throws {
        try await ControllerProcess.run { controller in
            let wrong = controller.directory.path + "/wrong.token"
            try Data("not-the-token\n".utf8).write(to: URL(fileURLWithPath: wrong))
            let (status, output) = try await controller.fogctl(["comsat", "ls"], tokenFile: wrong)
            #expect(status == 1)
            #expect(output.contains("the controller refused the admin token"), "\(output)")
            #expect(output.contains("hint:"))
            #expect(!output.contains("not-the-token"))

            let missing = try await controller.fogctl(["status"], tokenFile: controller.directory.path + "/none.token")
            #expect(missing.status == 1)
            #expect(missing.output.contains("cannot read the admin token file"), "\(missing.output)")
        }
    }

    @Test func explainsAControllerThatIsNotRunning() async throws {
        let directory = try TemporaryDirectory(prefix: "fogctl-norun")
        defer { directory.remove() }
        let tokenFile = directory.path + "/admin.token"
        try Data("token\n".utf8).write(to: URL(fileURLWithPath: tokenFile))
        let port = try FreePort.next()
        let (status, output) = try await ChildProcess.run(
            ControllerProcess.fogctl, ["status", "--controller", "http://127.0.0.1:\(port)", "--token-file", tokenFile],
            timeout: .seconds(30))
        #expect(status == 1)
        #expect(output.contains("no controller is listening at http://127.0.0.1:\(port)"), "\(output)")
        #expect(output.contains("is `fog-controller run` started?"))

        let bad = try await ChildProcess.run(
            ControllerProcess.fogctl, ["status", "--controller", "https://127.0.0.1:1", "--token-file", tokenFile],
            timeout: .seconds(30))
        #expect(bad.status == 1)
        #expect(bad.output.contains("is not a controller URL"), "\(bad.output)")
    }
}
