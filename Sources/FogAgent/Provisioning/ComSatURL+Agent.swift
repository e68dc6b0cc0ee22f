public import FogCore

extension ComSatURL {
    /// Parses the `--comsat` argument of `fog-agent provision`: a bad URL is
    /// `AgentProvisioningError.invalidURL` with the expected form as the hint.
    public init(provisioningFrom text: String) throws(AgentProvisioningError) {
        do {
            self = try ComSatURL(parsing: text)
        } catch {
            throw AgentProvisioningError(
                .invalidURL, error.message, hint: "give the ComSat as mqtts://HOST:PORT, e.g. mqtts://comsat-1.example:8883")
        }
    }
}
