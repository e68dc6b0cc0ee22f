internal import Foundation
internal import HTTPTypes
internal import Hummingbird

/// Lets a request through only with `Authorization: Bearer <admin token>`.
///
/// The presented token is hashed and compared with the home's token hash in constant time
/// (`ControllerHome.verifyAdminToken`); the controller never holds the token itself. The
/// token is never logged: refusals say only whether it was missing or wrong.
struct AdminTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let home: ControllerHome

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw AdminAPIError.unauthorized("missing bearer token")
        }
        let scheme = header.prefix(7)
        guard scheme.lowercased() == "bearer " else {
            throw AdminAPIError.unauthorized("the Authorization header is not a bearer token")
        }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        guard home.verifyAdminToken(token) else {
            throw AdminAPIError.unauthorized("the bearer token is not this controller's admin token")
        }
        return try await next(request, context)
    }
}
