import FogAgent
import FogCore
import FogTestSupport
import Foundation
import Logging
import Testing

/// Failures `fog-agent provision` must report before or at the first network step; the
/// exchange itself is tested against a real ComSat in `FogControllerTests.ProvisioningTests`.
@Suite struct AgentProvisionerTests {
    private static let logger = Logger(label: "fogfabric.test.agent") { _ in SwiftLogNoOpLogHandler() }

    private func failure(
        token: String, url: String, caFile: String? = nil, state: String
    ) async -> AgentProvisioningError? {
        let provisioner = AgentProvisioner(
            stateDirectory: state, configuration: .init(attemptTimeout: .milliseconds(200), attempts: 1, connectTimeout: .seconds(2)),
            logger: Self.logger)
        do {
            _ = try await provisioner.provision(token: token, comsatURL: url, caFile: caFile)
            return nil
        } catch {
            return error
        }
    }

    @Test func reportsLocalProblemsWithHints() async throws {
        let temporary = try TemporaryDirectory(prefix: "agent-provisioner")
        defer { temporary.remove() }
        let state = temporary.path + "/state"
        let controllerKey = SigningKey().publicKey
        let valid = ProvisioningKey(expiry: Timestamp.now().advanced(by: .seconds(600)), controllerKey: controllerKey)
        let expired = ProvisioningKey(expiry: Timestamp.now().advanced(by: .seconds(-5)), controllerKey: controllerKey)
        let port = try FreePort.next()

        let badToken = await failure(token: "fogkey1.nonsense", url: "mqtt://127.0.0.1:\(port)", state: state)
        #expect(badToken?.code == .invalidKey)
        #expect(badToken.map { !$0.hint.isEmpty } == true)
        let old = await failure(token: expired.token, url: "mqtt://127.0.0.1:\(port)", state: state)
        #expect(old?.code == .keyExpired)
        #expect(old.map { !$0.message.contains(expired.secret.text) } == true)
        #expect(await failure(token: valid.token, url: "https://127.0.0.1:\(port)", state: state)?.code == .invalidURL)
        #expect(await failure(token: valid.token, url: "mqtts://127.0.0.1:\(port)", state: state)?.code == .certificateAuthority)
        #expect(
            await failure(
                token: valid.token, url: "mqtts://127.0.0.1:\(port)", caFile: temporary.path + "/missing.pem", state: state)?
                .code == .certificateAuthority)
        #expect(await failure(token: valid.token, url: "mqtt://127.0.0.1:\(port)", state: state)?.code == .comsatUnreachable)
        #expect(!AgentState.isProvisioned(state))
    }

    @Test func aBadComSatURLIsAnInvalidURLWithAHint() throws {
        #expect(try ComSatURL(provisioningFrom: "mqtts://comsat-1.example:8884").port == 8884)
        for bad in ["comsat:8883", "mqtts://", "mqtts://user@host:1", "mqtts://host:1/path"] {
            #expect {
                try ComSatURL(provisioningFrom: bad)
            } throws: { error in
                guard let error = error as? AgentProvisioningError else { return false }
                return error.code == .invalidURL && error.message.contains(bad) && error.hint.contains("mqtts://")
            }
        }
    }
}
