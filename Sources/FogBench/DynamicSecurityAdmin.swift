import FogCore
import FogMQTT
import FogTestSupport
import Foundation

/// The comparison point of scenario (b): Mosquitto's own dynamic-security plugin, driven
/// the way an admin would, with the same principals ComSat gets as grants.
///
/// A link half becomes a role holding its exact topics (publish its direction, subscribe
/// to and receive the other) plus a client bound to that role with the half's username,
/// client id and password: two dynsec commands per grant, all of a batch's commands in
/// one control message. The config file starts from `mosquitto_ctrl dynsec init`, which
/// creates the admin client allowed on `$CONTROL/dynamic-security/#`.
struct DynamicSecurityAdmin: Sendable {
    static let commandTopic = "$CONTROL/dynamic-security/v1"
    static let responseTopic = "$CONTROL/dynamic-security/v1/response"

    let directory: TemporaryDirectory
    let configFile: String
    let adminUsername = "fog-bench-admin"
    let adminPassword: String
    let pluginPath: String

    /// Writes the plugin's initial config file with `mosquitto_ctrl dynsec init`.
    static func create(pluginPath: String) async throws -> DynamicSecurityAdmin {
        guard FileManager.default.fileExists(atPath: pluginPath) else {
            throw BenchError(.missingPrerequisite, "dynamic-security plugin not found at \(pluginPath) (package mosquitto)")
        }
        guard let control = ChildProcess.locate("mosquitto_ctrl") else {
            throw BenchError(.missingPrerequisite, "mosquitto_ctrl not found (package mosquitto-clients; run tools/setup)")
        }
        let directory = try TemporaryDirectory(prefix: "fog-bench-dynsec")
        let admin = DynamicSecurityAdmin(
            directory: directory, configFile: directory.path + "/dynamic-security.json",
            adminPassword: Secret().text, pluginPath: pluginPath)
        do {
            let (status, output) = try await ChildProcess.run(
                control, ["dynsec", "init", admin.configFile, admin.adminUsername, admin.adminPassword], timeout: .seconds(30))
            guard status == 0 else {
                throw BenchError(.missingPrerequisite, "mosquitto_ctrl dynsec init \(admin.configFile) exited with \(status): \(output)")
            }
        } catch {
            directory.remove()
            throw error
        }
        return admin
    }

    var brokerConfiguration: BrokerConfiguration {
        BrokerConfiguration(plugin: pluginPath, pluginOptions: [("config_file", configFile)], allowAnonymous: false)
    }

    func adminOptions(port: UInt16) -> MQTTSwarmConnectionOptions {
        MQTTSwarmConnectionOptions(port: port, clientID: "fog-bench-admin", username: adminUsername, password: adminPassword)
    }

    /// Size of the config file the plugin rewrites after every command.
    var storageBytes: Int? {
        (try? FileManager.default.attributesOfItem(atPath: configFile)[.size] as? Int) ?? nil
    }

    /// One control message creating a role and a client per half.
    func commands(for halves: ArraySlice<LinkHalfCredentials>) throws -> [UInt8] {
        var commands: [Command] = []
        commands.reserveCapacity(halves.count * 2)
        for half in halves {
            let role = roleName(of: half)
            commands.append(Command(
                command: "createRole", rolename: role,
                acls: [
                    ACL(acltype: "publishClientSend", topic: half.publishTopic),
                    ACL(acltype: "subscribeLiteral", topic: half.subscribeTopic),
                    ACL(acltype: "publishClientReceive", topic: half.subscribeTopic),
                ]))
            commands.append(Command(
                command: "createClient", username: half.username, password: half.password, clientid: half.clientID,
                roles: [RoleReference(rolename: role)]))
        }
        return Array(try JSONEncoder().encode(Commands(commands: commands)))
    }

    /// One control message deleting each half's client and role, as an admin revokes a
    /// principal: `deleteClient` (which also disconnects it) and `deleteRole`.
    func removalCommands(for halves: ArraySlice<LinkHalfCredentials>) throws -> [UInt8] {
        var commands: [Command] = []
        commands.reserveCapacity(halves.count * 2)
        for half in halves {
            commands.append(Command(command: "deleteClient", username: half.username))
            commands.append(Command(command: "deleteRole", rolename: roleName(of: half)))
        }
        return Array(try JSONEncoder().encode(Commands(commands: commands)))
    }

    /// Checks an answer to `commands(for:)` or `removalCommands(for:)` of `halves` grants.
    /// - Returns: how many commands failed and the first failure.
    static func check(response: [UInt8], halves: Int) throws -> (refused: Int, first: String?) {
        let decoded: Responses
        do {
            decoded = try JSONDecoder().decode(Responses.self, from: Data(response))
        } catch {
            throw BenchError(.controlRejected, "unreadable dynamic-security response (\(response.count) bytes): \(error)")
        }
        guard decoded.responses.count == halves * 2 else {
            throw BenchError(
                .controlRejected,
                "dynamic-security answered \(decoded.responses.count) commands, sent \(halves * 2)"
                    + (decoded.responses.first?.error.map { "; first error: \($0)" } ?? ""))
        }
        let failures = decoded.responses.filter { $0.error != nil }
        return (failures.count, failures.first.map { "\($0.command): \($0.error ?? "")" })
    }

    func remove() {
        directory.remove()
    }

    private func roleName(of half: LinkHalfCredentials) -> String {
        "role-" + half.username
    }

    private struct Commands: Encodable {
        var commands: [Command]
    }

    private struct Command: Encodable {
        var command: String
        var rolename: String?
        var acls: [ACL]?
        var username: String?
        var password: String?
        var clientid: String?
        var roles: [RoleReference]?
    }

    private struct ACL: Encodable {
        var acltype: String
        var topic: String
        var allow = true
    }

    private struct RoleReference: Encodable {
        var rolename: String
    }

    private struct Responses: Decodable {
        var responses: [Response]
    }

    private struct Response: Decodable {
        var command: String
        var error: String?
    }
}
