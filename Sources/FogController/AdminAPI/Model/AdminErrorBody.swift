/// The JSON body of every admin API error: `{"code", "message", "hint"}`.
///
/// `code` is a `ControllerError.Code` name (`nameTaken`, `notFound`, …) or one of the
/// API's own (`unauthorized`, `badRequest`, `routeNotFound`, `internal`), so scripts can
/// branch on it; `message` names the ids and paths involved and never a secret.
public struct AdminErrorBody: Codable, Sendable, Hashable {
    public var code: String
    public var message: String
    public var hint: String?

    public init(code: String, message: String, hint: String?) {
        self.code = code
        self.message = message
        self.hint = hint
    }
}
