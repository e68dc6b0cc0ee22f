import FogAgent
import FogController
import FogCore
import FogIntegrationSupport
import FogMQTT
import FogTestSupport
import Foundation
import GRDB
import Testing

@Suite struct ProvisioningTests {
    @Test(.timeLimit(.minutes(1)))
    func provisionsAnAgentOverTLS() async throws {
        try await ProvisioningRig.run(tls: true) { rig in
            let home = rig.fixture.home
            let key = try await rig.issue("edge-1")
            #expect(await rig.keyCredentialsWork(key))
            let directory = rig.stateDirectory("one")
            let state = try await rig.provisioner("one").provision(
                token: key.token, comsatURL: rig.comsatURL, caFile: rig.caFile)

            #expect(try fileMode(directory) == 0o700)
            let files = try FileManager.default.contentsOfDirectory(atPath: directory)
            #expect(Set(files) == ["agent.json", "signing.key", "agreement.key", "mqtt.secret", "comsat-ca.pem"])
            for file in files {
                #expect(try fileMode(directory + "/" + file) == 0o600, "\(file)")
            }
            let loaded = try AgentState.load(from: directory)
            #expect(loaded.agentID == state.agentID)
            #expect(loaded.secret == state.secret)
            #expect(loaded.signingKey.publicKey == state.signingKey.publicKey)
            #expect(loaded.controllerID == home.controllerID)
            #expect(loaded.controllerSigningKey == home.signingKey.publicKey)
            #expect(loaded.controllerAgreementKey == home.agreementKey.publicKey)
            #expect(loaded.comsatURL == rig.comsatURL)

            let record = try #require(try await rig.fixture.database.agent(id: state.agentID))
            #expect(record.name == "edge-1")
            #expect(record.secretHash == state.secret.hash)
            #expect(record.signingKey == state.signingKey.publicKey)
            #expect(record.agreementKey == state.agreementKey.publicKey)
            #expect(record.homeComSatID == rig.fixture.comsat.id)
            #expect(record.commandTopic == loaded.commandTopic)

            // The agent's own grant works with what it stored, TLS trusting its stored CA.
            let client = MQTTClient(
                configuration: MQTTConfiguration(
                    host: rig.fixture.broker.host, port: rig.fixture.broker.port, clientID: loaded.agentID.description,
                    username: loaded.agentID.description, password: loaded.secret.text,
                    tls: MQTTTLSConfiguration(caFile: AgentState.certificatePath(in: directory)),
                    connectTimeout: .seconds(5), operationTimeout: .seconds(5)),
                logger: ComSatFixture.logger)
            try await client.connect()
            _ = try await client.subscribe(loaded.commandTopic, qos: .atLeastOnce)
            await client.disconnect()

            // The provisioning principal is gone after the grace period.
            try await waitUntil("provisioning grant removed", timeout: .seconds(10), poll: .milliseconds(100)) {
                await !rig.keyCredentialsWork(key)
            }

            // The database holds the agent's id and hashes, never its private material.
            let database = fileBytes(home.databasePath) + fileBytes(home.databasePath + "-wal")
            #expect(database.containsRun(Array(state.agentID.description.utf8)))
            for (what, secret) in [
                ("agent signing key", state.signingKey.rawRepresentation),
                ("agent agreement key", state.agreementKey.rawRepresentation),
                ("agent secret", state.secret.bytes), ("agent secret text", Array(state.secret.text.utf8)),
                ("key secret", key.secret.bytes), ("key secret text", Array(key.secret.text.utf8)),
                ("token", Array(key.token.utf8)),
            ] {
                #expect(!database.containsRun(secret), "\(what) found in the database")
            }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func controllerRefusesAKeyExpiredByItsClock() async throws {
        // The controller's clock is a minute ahead (within the envelope skew): to it the
        // key has expired, while the ComSat still accepts the grant.
        try await ProvisioningRig.run(controllerClock: { Date().addingTimeInterval(60) }) { rig in
            let key = try await rig.issue(lifetime: .seconds(30))
            let result = await rig.provision("late", token: key.token)
            #expect(result.failureCode == .keyExpired)
            #expect(!AgentState.isProvisioned(rig.stateDirectory("late")))
            #expect(try await rig.fixture.database.provisioningKey(id: key.id)?.used == false)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func refusesAReusedKey() async throws {
        try await ProvisioningRig.run(service: .init(acceptanceGrace: .seconds(2))) { rig in
            let key = try await rig.issue()
            let first = await rig.provision("first", token: key.token)
            #expect((try? first.get()) != nil)
            // While the grant lingers, the controller itself says the key is used.
            let second = await rig.provision("second", token: key.token)
            #expect(second.failureCode == .keyAlreadyUsed)
            #expect(!AgentState.isProvisioned(rig.stateDirectory("second")))
            // Afterwards the ComSat no longer accepts the key at all.
            try await waitUntil("provisioning grant removed", timeout: .seconds(10), poll: .milliseconds(100)) {
                await !rig.keyCredentialsWork(key)
            }
            let third = await rig.provision("third", token: key.token)
            #expect(third.failureCode == .keyRefusedByComSat)
            #expect(try await rig.fixture.database.writer.read { try AgentRecord.fetchCount($0) } == 1)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func exactlyOneOfTwoRacingAgentsWins() async throws {
        try await ProvisioningRig.run(service: .init(acceptanceGrace: .seconds(4))) { rig in
            let key = try await rig.issue()
            let (first, second) = (rig.provisioner("a"), rig.provisioner("b"))
            let (token, url, caFile) = (key.token, rig.comsatURL, rig.caFile)
            async let a = ProvisioningRig.attempt(first, token: token, url: url, caFile: caFile)
            async let b = ProvisioningRig.attempt(second, token: token, url: url, caFile: caFile)
            let results = await [a, b]
            let winners = results.compactMap { try? $0.get() }
            #expect(winners.count == 1)
            let losers = results.compactMap(\.failureCode)
            #expect(losers.count == 1)
            #expect(losers.allSatisfy { $0 == .keyAlreadyUsed || $0 == .keyRefusedByComSat }, "\(losers)")
            #expect(
                [AgentState.isProvisioned(rig.stateDirectory("a")), AgentState.isProvisioned(rig.stateDirectory("b"))]
                    .filter { $0 }.count == 1)
            let agents = try await rig.fixture.database.writer.read { try AgentRecord.fetchAll($0) }
            #expect(agents.map(\.id) == winners.map(\.agentID))
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func repeatedRequestGetsTheSameAcceptance() async throws {
        try await ProvisioningRig.run(service: .init(acceptanceGrace: .seconds(5))) { rig in
            let key = try await rig.issue()
            let requester = try ProvisioningRequester(
                key: key, signingKey: SigningKey(), agreementKey: AgreementKey(), secretHash: Secret().hash)
            let client = MQTTClient(
                configuration: MQTTConfiguration(
                    host: rig.fixture.broker.host, port: rig.fixture.broker.port, clientID: key.username,
                    username: key.username, password: key.secret.text, connectTimeout: .seconds(5),
                    operationTimeout: .seconds(5)),
                logger: ComSatFixture.logger)
            try await client.connect()
            _ = try await client.subscribe(key.responseTopic, qos: .atLeastOnce)
            var agentIDs: [OpaqueID] = []
            var messages = client.messages.makeAsyncIterator()
            for _ in 0..<2 {
                try await client.publish(topic: key.requestTopic, payload: requester.requestEnvelope, qos: .atLeastOnce)
                let message = try #require(await messages.next())
                guard case .accepted(let assignment) = try requester.open(message.payload).outcome else {
                    Issue.record("the request was not accepted")
                    break
                }
                agentIDs.append(assignment.agentID)
            }
            await client.disconnect()
            #expect(agentIDs.count == 2)
            #expect(Set(agentIDs).count == 1)
            #expect(try await rig.fixture.database.writer.read { try AgentRecord.fetchCount($0) } == 1)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func agentRejectsAnAnswerFromAnImpostorKey() async throws {
        try await ProvisioningRig.run(startService: false) { rig in
            let key = try await rig.issue()
            // An impostor on the controller's connection answers with its own signing key.
            let impostorKey = SigningKey()
            let impostor = ProvisioningResponder(controllerID: rig.fixture.home.controllerID, signingKey: impostorKey)
            let (requests, sink) = AsyncStream.makeStream(of: [UInt8].self)
            await rig.session.setMessageHandler { topic, payload in
                if topic == key.requestTopic { sink.yield(payload) }
            }
            try await rig.session.subscribe("q/+")
            let session = rig.session
            let controllerID = rig.fixture.home.controllerID
            let answering = Task {
                for await payload in requests {
                    guard let received = try? impostor.openRequest(payload) else { continue }
                    let assignment = ProvisioningAssignment(
                        agentID: OpaqueID(), controllerID: controllerID,
                        controllerAgreementKey: AgreementKey().publicKey, comsatURL: "mqtt://127.0.0.1:1",
                        commandTopic: "c/\(OpaqueID())", replyTopic: "r/\(OpaqueID())")
                    if let answer = try? impostor.accept(received, assignment: assignment) {
                        try? await session.publish(topic: key.responseTopic, payload: answer)
                    }
                }
            }
            defer { answering.cancel() }
            let result = await rig.provision("fooled", token: key.token)
            #expect(result.failureCode == .untrustedResponse)
            #expect(!AgentState.isProvisioned(rig.stateDirectory("fooled")))
        }
    }
}

extension Result where Failure == AgentProvisioningError {
    var failureCode: AgentProvisioningError.Code? {
        if case .failure(let error) = self { return error.code }
        return nil
    }
}
