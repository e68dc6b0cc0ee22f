/// Body of `POST /v1/comsats/{name}/key`: the ComSat's response key, from its
/// `identity.key.pub`, so the controller can verify its answers and connect to it.
public struct ComSatKeyPin: Codable, Sendable, Hashable {
    public var responseKey: String

    public init(responseKey: String) {
        self.responseKey = responseKey
    }
}
