internal import FogCore
internal import Foundation

/// A deployed spec as kept in `<state>/microservices/<name>.spec` (JSON, 0600), so a
/// restarted agent runs its last known microservices without the controller.
struct StoredMicroservice: Codable {
    var name: String
    var executablePath: String
    var arguments: [String]
    var environment: [String: String]
    var configuration: Data

    init(_ spec: MicroserviceSpec) {
        name = spec.name
        executablePath = spec.executablePath
        arguments = spec.arguments
        environment = spec.environment
        configuration = Data(spec.configuration)
    }

    var spec: MicroserviceSpec {
        MicroserviceSpec(
            name: name, executablePath: executablePath, arguments: arguments, environment: environment,
            configuration: Array(configuration))
    }
}
