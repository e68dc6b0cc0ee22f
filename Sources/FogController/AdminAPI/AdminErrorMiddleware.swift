internal import HTTPTypes
internal import Hummingbird
internal import Logging

/// Turns whatever a route throws into an `AdminAPIError` JSON response and logs it once.
///
/// Outermost middleware, so refusals of the token middleware are shaped the same way.
/// Unexpected errors become a generic 500: their description may say more than a client
/// should learn, so it goes to the log only.
struct AdminErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = Self.convert(error)
            let level: Logger.Level = apiError.status.code >= 500 ? .error : .info
            context.logger.log(
                level: level, "admin request failed",
                metadata: [
                    "hb.request.method": "\(request.method)", "hb.request.path": "\(request.uri.path)",
                    "fog.admin.status": "\(apiError.status.code)", "fog.admin.error": "\(apiError.body.code)",
                    "fog.error": "\(error is AdminAPIError ? apiError.body.message : "\(error)")",
                ])
            return apiError.response
        }
    }

    static func convert(_ error: any Error) -> AdminAPIError {
        switch error {
        case let error as AdminAPIError:
            return error
        case let error as ControllerError:
            return AdminAPIError(error)
        case let error as HTTPError:
            let code = error.status == .notFound ? "routeNotFound" : error.status.code < 500 ? "badRequest" : "internal"
            return AdminAPIError(error.status, code: code, message: error.body ?? error.status.reasonPhrase, hint: nil)
        case is DecodingError:
            return .badRequest(
                "the request body is not the JSON this route expects",
                hint: "send Content-Type: application/json with the documented fields")
        default:
            return AdminAPIError(.internalServerError, code: "internal", message: "internal error", hint: "see the controller's log")
        }
    }
}
