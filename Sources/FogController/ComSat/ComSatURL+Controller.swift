public import FogCore

extension ComSatURL {
    /// Parses `text` for the controller: a bad URL is `ControllerError.invalidURL`.
    public init(validating text: String) throws(ControllerError) {
        do {
            self = try ComSatURL(parsing: text)
        } catch {
            throw ControllerError(.invalidURL, error.message)
        }
    }
}
