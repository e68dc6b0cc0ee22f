internal import FogCore
internal import FogMQTT
internal import Foundation
internal import Logging

extension AgentProvisioner {
    /// What ended the wait for an answer.
    private enum Answer: Sendable {
        case accepted(ProvisioningAssignment, SigningPublicKey)
        case refused(ProvisioningRefusal)
        case untrusted(ProvisioningError)
    }

    static func expired(_ keyID: OpaqueID, _ message: String) -> AgentProvisioningError {
        AgentProvisioningError(
            .keyExpired, message, hint: "ask the operator for a new key ('fogctl agent add NAME')", keyID: keyID)
    }

    /// Reads the CA file (for TLS), so a bad path fails before any network traffic.
    static func readCertificateAuthority(
        _ caFile: String?, address: ComSatURL
    ) throws(AgentProvisioningError) -> String? {
        guard address.usesTLS else { return nil }
        guard let caFile else {
            throw AgentProvisioningError(
                .certificateAuthority, "\(address) uses TLS but no CA certificate was given",
                hint: "pass --ca FILE with the CA that signed the ComSat's certificate")
        }
        guard let text = try? String(contentsOfFile: caFile, encoding: .utf8), text.contains("-----BEGIN CERTIFICATE-----")
        else {
            throw AgentProvisioningError(
                .certificateAuthority, "cannot read a PEM certificate from \(caFile)",
                hint: "pass --ca FILE with the CA certificate (PEM) that signed the ComSat's certificate")
        }
        return text
    }

    func connect(_ client: MQTTClient, address: ComSatURL, keyID: OpaqueID) async throws(AgentProvisioningError) {
        do {
            try await client.connect()
        } catch {
            switch error.code {
            case .notAuthorized, .connectionRefused:
                throw AgentProvisioningError(
                    .keyRefusedByComSat, "the ComSat at \(address) refused provisioning key \(keyID) (\(error.message))",
                    hint: "the key has expired, was already used or was revoked, or this is not the ComSat it was "
                        + "issued for; ask the operator for a new key", keyID: keyID)
            case .tls:
                throw AgentProvisioningError(
                    .certificateAuthority, "TLS with \(address) failed: \(error.message)",
                    hint: "check that --ca is the CA that signed this ComSat's certificate and that the host name matches",
                    keyID: keyID)
            default:
                throw AgentProvisioningError(
                    .comsatUnreachable, "cannot connect to the ComSat at \(address): \(error.message)",
                    hint: "check the address, the port and that this node may connect out to it", keyID: keyID)
            }
        }
    }

    /// Subscribes, publishes the request (again after each silent `attemptTimeout`) and
    /// returns the verified acceptance.
    func exchange(
        _ requester: ProvisioningRequester, client: MQTTClient, logger: Logger
    ) async throws(AgentProvisioningError) -> (ProvisioningAssignment, SigningPublicKey) {
        let key = requester.key
        do {
            _ = try await client.subscribe(key.responseTopic, qos: .atLeastOnce)
        } catch {
            throw AgentProvisioningError(
                .keyRefusedByComSat, "the ComSat refused the response subscription of key \(key.id): \(error.message)",
                hint: "the key was probably revoked; ask the operator for a new key", keyID: key.id)
        }
        let messages = client.messages
        let configuration = configuration
        let answer: Answer?
        do {
            answer = try await withThrowingTaskGroup(of: Answer?.self) { group in
                group.addTask {
                    for await message in messages where message.topic == key.responseTopic {
                        do throws(ProvisioningError) {
                            let response = try requester.open(message.payload)
                            switch response.outcome {
                            case .accepted(let assignment): return .accepted(assignment, response.controllerSigningKey)
                            case .refused(let refusal): return .refused(refusal)
                            }
                        } catch {
                            switch error.code {
                            // Someone else's answer (a rival for the same key): keep waiting.
                            case .wrongRecipient, .unsealFailed, .answersAnotherRequest:
                                logger.debug("ignored an answer to another request", metadata: ["fog.reason": "\(error.code)"])
                            default:
                                return .untrusted(error)
                            }
                        }
                    }
                    return nil
                }
                // Rivals holding the same key share its client id, so each connection takes
                // the other's over; after each reconnection (clean start) subscribe and ask again.
                let events = client.events
                group.addTask {
                    var connections = 0
                    for await event in events {
                        guard case .connected = event else { continue }
                        connections += 1
                        guard connections > 1 else { continue }
                        _ = try? await client.subscribe(key.responseTopic, qos: .atLeastOnce)
                        _ = try? await client.publish(
                            topic: key.requestTopic, payload: requester.requestEnvelope, qos: .atLeastOnce)
                        logger.debug("reconnected; provisioning request published again")
                    }
                    return nil
                }
                group.addTask {
                    for attempt in 1...configuration.attempts {
                        // A failed publish (connection taken over meanwhile) is retried by the
                        // next attempt or the next reconnection; only silence ends the wait.
                        _ = try? await client.publish(
                            topic: key.requestTopic, payload: requester.requestEnvelope, qos: .atLeastOnce)
                        logger.debug("provisioning request published", metadata: ["fog.attempt": "\(attempt)"])
                        try await Task.sleep(for: configuration.attemptTimeout)
                    }
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first
            }
        } catch {
            throw AgentProvisioningError(
                .comsatUnreachable, "lost the ComSat while provisioning with key \(key.id): \(error)",
                hint: "check the network and try again while the key is valid", keyID: key.id)
        }
        switch answer {
        case .accepted(let assignment, let controllerKey):
            return (assignment, controllerKey)
        case .refused(let refusal):
            throw Self.refused(refusal, keyID: key.id)
        case .untrusted(let error):
            throw AgentProvisioningError(
                .untrustedResponse, "rejected an answer that is not from the controller that issued the key: \(error.message)",
                hint: error.code == .stale
                    ? "check this node's clock (it must be within 2 minutes of the controller's)"
                    : "someone other than the key's controller answered; report it to the operator", keyID: key.id)
        case nil:
            let waited = configuration.attemptTimeout * configuration.attempts
            throw AgentProvisioningError(
                .noAnswer, "no answer to provisioning key \(key.id) within \(waited)",
                hint: "check that the controller is running and connected to this ComSat, then try again", keyID: key.id)
        }
    }

    private static func refused(_ refusal: ProvisioningRefusal, keyID: OpaqueID) -> AgentProvisioningError {
        let newKey = "ask the operator for a new key ('fogctl agent add NAME')"
        return switch refusal.reason {
        case .expired:
            AgentProvisioningError(.keyExpired, "the controller says key \(keyID) has expired", hint: newKey, keyID: keyID)
        case .alreadyUsed:
            AgentProvisioningError(
                .keyAlreadyUsed, "the controller says key \(keyID) was already used by another agent", hint: newKey,
                keyID: keyID)
        case .unknownKey:
            AgentProvisioningError(
                .keyUnknown, "the controller does not know key \(keyID)",
                hint: "the key was deleted or belongs to another controller; \(newKey)", keyID: keyID)
        case .malformed:
            AgentProvisioningError(
                .requestRefused, "the controller could not verify the request: \(refusal.detail)",
                hint: "check this node's clock and that fog-agent matches the controller's version", keyID: keyID)
        }
    }
}
