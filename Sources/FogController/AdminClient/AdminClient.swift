internal import Foundation

/// `fogctl`'s client for the controller's admin API: one blocking request per call.
///
/// The token is held only in this value and sent only in the `Authorization` header;
/// no error or description contains it.
public struct AdminClient: Sendable {
    /// Where `fog-controller run` listens by default.
    public static let defaultControllerURL = "http://127.0.0.1:\(AdminAPIConfiguration.defaultPort)"
    public let endpoint: AdminEndpoint
    public var timeout: Duration
    private let token: String

    public init(controllerURL: String, token: String, timeout: Duration = .seconds(60)) throws(AdminClientError) {
        endpoint = try AdminEndpoint(parsing: controllerURL)
        self.token = token
        self.timeout = timeout
    }

    /// The token file to use when `--token-file` is not given: `FOG_ADMIN_TOKEN_FILE`, else
    /// `admin.token` in the home `ControllerConfiguration.homePath` picks.
    public static func defaultTokenPath(environment: [String: String]? = nil) -> String {
        let environment = environment ?? ProcessInfo.processInfo.environment
        if let path = environment["FOG_ADMIN_TOKEN_FILE"], !path.isEmpty { return path }
        return ControllerConfiguration.homePath(explicit: nil, environment: environment) + "/admin.token"
    }

    /// Reads the admin token (first line of the file).
    /// - Throws: `.tokenUnreadable` naming the path, never its content.
    public static func readToken(path: String) throws(AdminClientError) -> String {
        let hint = "pass --token-file PATH or set FOG_ADMIN_TOKEN_FILE; `fog-controller init` printed where admin.token is"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AdminClientError(.tokenUnreadable, "cannot read the admin token file \(path)", hint: hint)
        }
        let token = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        guard !token.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw AdminClientError(.tokenUnreadable, "the admin token file \(path) is empty", hint: hint)
        }
        return token.trimmingCharacters(in: .whitespaces)
    }

    public func status() throws(AdminClientError) -> ControllerStatus {
        try request("GET", "/v1/status", as: ControllerStatus.self)
    }

    public func comsats() throws(AdminClientError) -> [ComSatSummary] {
        try request("GET", "/v1/comsats", as: ComSatList.self).comsats
    }

    public func enrolComSat(_ enrolment: ComSatEnrolmentRequest) throws(AdminClientError) -> ComSatEnrolmentResult {
        try request("POST", "/v1/comsats", body: try Self.encode(enrolment, for: "/v1/comsats"), as: ComSatEnrolmentResult.self)
    }

    public func pinComSatKey(name: String, responseKey: String) throws(AdminClientError) -> ComSatSummary {
        let segment = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "._-"))) ?? name
        let path = "/v1/comsats/\(segment)/key"
        return try request("POST", path, body: try Self.encode(ComSatKeyPin(responseKey: responseKey), for: path), as: ComSatSummary.self)
    }

    /// Issues a one-time provisioning key for a new agent (`POST /v1/agents`).
    public func addAgent(_ agent: AgentProvisioningRequest) throws(AdminClientError) -> AgentProvisioningResult {
        try request("POST", "/v1/agents", body: try Self.encode(agent, for: "/v1/agents"), as: AgentProvisioningResult.self)
    }

    public func agents() throws(AdminClientError) -> [AgentSummary] {
        try request("GET", "/v1/agents", as: AgentList.self).agents
    }

    /// Deploys (or replaces) a microservice spec on an agent (`POST /v1/microservices`).
    public func deployMicroservice(_ request: MicroserviceDeployRequest) throws(AdminClientError) -> MicroserviceSummary {
        try self.request(
            "POST", "/v1/microservices", body: try Self.encode(request, for: "/v1/microservices"), as: MicroserviceSummary.self)
    }

    public func removeMicroservice(agent: String, name: String) throws(AdminClientError) -> LinkDecommission {
        try request(
            "DELETE", "/v1/agents/\(Self.segment(agent))/microservices/\(Self.segment(name))", as: LinkDecommission.self)
    }

    /// Microservices of one agent, or of all when `agent` is nil.
    public func microservices(agent: String? = nil) throws(AdminClientError) -> [MicroserviceSummary] {
        let query = agent.map { "?agent=\(Self.queryValue($0))" } ?? ""
        return try request("GET", "/v1/microservices\(query)", as: MicroserviceList.self).microservices
    }

    /// Adds the route `source` → `target`, creating their agents' link if needed.
    public func addRoute(from source: MicroserviceAddress, to target: MicroserviceAddress) throws(AdminClientError) -> RouteAddResult {
        try request(
            "POST", "/v1/routes", body: try Self.encode(RouteRequest(source: source, target: target), for: "/v1/routes"),
            as: RouteAddResult.self)
    }

    public func removeRoute(from source: MicroserviceAddress, to target: MicroserviceAddress) throws(AdminClientError) -> LinkDecommission {
        let query = "source=\(Self.queryValue(source.description))&target=\(Self.queryValue(target.description))"
        return try request("DELETE", "/v1/routes?\(query)", as: LinkDecommission.self)
    }

    public func routes() throws(AdminClientError) -> [RouteSummary] {
        try request("GET", "/v1/routes", as: RouteList.self).routes
    }

    public func links() throws(AdminClientError) -> [LinkSummary] {
        try request("GET", "/v1/links", as: LinkList.self).links
    }

    public func removeLink(id: String) throws(AdminClientError) -> LinkDecommission {
        try request("DELETE", "/v1/links/\(Self.segment(id))", as: LinkDecommission.self)
    }

    /// Removes an agent with its microservices and links (`DELETE /v1/agents/{name}`).
    public func removeAgent(name: String) throws(AdminClientError) -> LinkDecommission {
        try request("DELETE", "/v1/agents/\(Self.segment(name))", as: LinkDecommission.self)
    }

    /// `text` as one path segment.
    private static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "._-"))) ?? text
    }

    /// `text` as a query value (`/` kept: it separates agent and microservice).
    private static func queryValue(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "._-/"))) ?? text
    }

    /// The Prometheus text of `GET /metrics`.
    public func metrics() throws(AdminClientError) -> String {
        String(decoding: try send("GET", "/metrics", body: nil).body, as: UTF8.self)
    }

    private static func encode(_ value: some Encodable, for path: String) throws(AdminClientError) -> [UInt8] {
        do {
            return Array(try JSONEncoder().encode(value))
        } catch {
            throw AdminClientError(.invalidResponse, "cannot encode the request for \(path): \(error)")
        }
    }

    private func request<Answer: Decodable>(
        _ method: String, _ path: String, body: [UInt8]? = nil, as type: Answer.Type
    ) throws(AdminClientError) -> Answer {
        let reply = try send(method, path, body: body)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(Answer.self, from: Data(reply.body))
        } catch {
            throw AdminClientError(
                .invalidResponse, "\(endpoint) answered \(method) \(path) with JSON this fogctl does not understand: \(error)",
                hint: "are fogctl and fog-controller the same version?", status: reply.status)
        }
    }

    /// Sends the request; any status other than 2xx becomes an `AdminClientError`.
    private func send(_ method: String, _ path: String, body: [UInt8]?) throws(AdminClientError) -> AdminHTTPConnection.Reply {
        var headers = [("Authorization", "Bearer \(token)"), ("Accept", "application/json")]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        let reply = try AdminHTTPConnection(endpoint: endpoint, timeout: timeout)
            .exchange(method: method, path: path, headers: headers, body: body)
        guard !(200..<300).contains(reply.status) else { return reply }
        let error = try? JSONDecoder().decode(AdminErrorBody.self, from: Data(reply.body))
        let message = error?.message ?? "HTTP \(reply.status)"
        switch reply.status {
        case 401:
            throw AdminClientError(
                .unauthorized, "the controller refused the admin token: \(message)",
                hint: "use the admin.token of this controller's home (--token-file PATH or FOG_ADMIN_TOKEN_FILE)",
                status: 401, serverCode: error?.code)
        case 404 where error?.code == "notFound" || error?.code == "routeNotFound" || error == nil:
            throw AdminClientError(.notFound, message, hint: error?.hint, status: 404, serverCode: error?.code)
        default:
            throw AdminClientError(.refused, message, hint: error?.hint, status: reply.status, serverCode: error?.code)
        }
    }
}
