internal import Foundation
internal import HTTPTypes
internal import Hummingbird

/// An admin API failure: an HTTP status plus the `AdminErrorBody` sent to the client.
///
/// Every error leaving a route passes through `AdminErrorMiddleware`, which turns it into
/// this, so clients always get JSON with a stable `code`, never an empty 500.
struct AdminAPIError: Error, Sendable {
    var status: HTTPResponse.Status
    var body: AdminErrorBody

    init(_ status: HTTPResponse.Status, code: String, message: String, hint: String?) {
        self.status = status
        body = AdminErrorBody(code: code, message: message, hint: hint)
    }

    static func unauthorized(_ message: String) -> AdminAPIError {
        AdminAPIError(
            .unauthorized, code: "unauthorized", message: message,
            hint: "send 'Authorization: Bearer TOKEN' with the token from the controller home's admin.token")
    }

    static func badRequest(_ message: String, hint: String? = nil) -> AdminAPIError {
        AdminAPIError(.badRequest, code: "badRequest", message: message, hint: hint)
    }

    /// Maps a controller failure to the status that says whose fault it is: the request's
    /// (4xx), a ComSat's (502/503/504) or the controller's own state (500).
    init(_ error: ControllerError) {
        let status: HTTPResponse.Status
        let hint: String?
        switch error.code {
        case .invalidName:
            (status, hint) = (.badRequest, "names are 1...64 characters of [A-Za-z0-9._-]")
        case .invalidURL:
            (status, hint) = (.badRequest, "use mqtts://HOST:PORT with the CA that signed the ComSat's certificate")
        case .fileMissing, .fileUnreadable, .fileCorrupt:
            (status, hint) = (.badRequest, "check the path; the controller reads it with its own user and working directory")
        case .invalidGrant:
            (status, hint) = (.badRequest, nil)
        case .nameTaken:
            (status, hint) = (.conflict, "choose another name, or list what exists with `fogctl comsat ls`")
        case .notFound:
            (status, hint) = (.notFound, "list what exists with `fogctl comsat ls`")
        case .comsatKeyMismatch:
            (status, hint) = (.conflict, "the ComSat already has a different pinned key; re-enrol it if its identity really changed")
        case .comsatKeyNotPinned:
            (status, hint) = (.conflict, "pin the ComSat's key from its identity.key.pub with `fogctl comsat pin`")
        case .comsatUnreachable, .sessionClosed:
            (status, hint) = (.serviceUnavailable, "check that the ComSat runs and that the controller can reach its address")
        case .responseTimeout:
            (status, hint) = (.gatewayTimeout, "the ComSat did not answer in time; check its broker log")
        case .invalidRequest:
            (status, hint) = (.badRequest, nil)
        case .inUse:
            (status, hint) = (.conflict, "remove the routes that use it first (`fogctl route ls`, `fogctl route rm`)")
        case .noHealthyComSat:
            (status, hint) = (
                .serviceUnavailable,
                "a new link needs a ComSat that is enrolled, pinned, running and connected; check `fogctl comsat ls`")
        case .commandsUnavailable:
            (status, hint) = (.serviceUnavailable, "run the change against `fog-controller run`, which delivers agent commands")
        case .responseInvalid, .commandRefused, .itemsRefused:
            (status, hint) = (.badGateway, "the ComSat refused or answered unexpectedly; check its broker log")
        default:
            (status, hint) = (.internalServerError, "see the controller's log")
        }
        self.init(status, code: error.code.description, message: error.message, hint: hint)
    }

    /// The JSON response for this error.
    var response: Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(body)) ?? Data(#"{"code":"internal","message":"error body not encodable"}"#.utf8)
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if status == .unauthorized {
            headers[.wwwAuthenticate] = #"Bearer realm="fogfabric-admin""#
        }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
