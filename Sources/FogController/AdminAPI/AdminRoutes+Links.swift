internal import FogCore
internal import Foundation
internal import HTTPTypes
internal import Hummingbird
internal import Logging

/// Microservice, route, link and agent-removal routes.
///
/// | route | does |
/// |---|---|
/// | `GET /v1/microservices[?agent=NAME]` | `MicroserviceList` |
/// | `POST /v1/microservices` | deploys (`MicroserviceDeployRequest` → 201 new / 200 replaced `MicroserviceSummary`) |
/// | `DELETE /v1/agents/{name}/microservices/{microservice}` | removes a microservice (`LinkDecommission`) |
/// | `GET /v1/routes` | `RouteList` |
/// | `POST /v1/routes` | adds a route (`RouteRequest` → 201 `RouteAddResult`) |
/// | `DELETE /v1/routes?source=A/X&target=B/Y` | removes a route (`LinkDecommission`) |
/// | `GET /v1/links` | `LinkList` |
/// | `DELETE /v1/links/{id}` | removes a link (`LinkDecommission`) |
/// | `DELETE /v1/agents/{name}` | removes an agent and its links (`LinkDecommission`) |
extension AdminRoutes {
    func registerLinks(on router: Router<BasicRequestContext>) {
        router.get("/v1/microservices") { request, _ in try await microservices(request) }
        router.post("/v1/microservices") { request, context in try await deploy(request, context: context) }
        router.delete("/v1/agents/{name}/microservices/{microservice}") { _, context in try await removeMicroservice(context) }
        router.get("/v1/routes") { _, _ in try await routes() }
        router.post("/v1/routes") { request, context in try await addRoute(request, context: context) }
        router.delete("/v1/routes") { request, _ in try await removeRoute(request) }
        router.get("/v1/links") { _, _ in try await links() }
        router.delete("/v1/links/{id}") { _, context in try await removeLink(context) }
        router.delete("/v1/agents/{name}") { _, context in try await removeAgent(context) }
    }

    static let agentHint = "list agents with `fogctl agent ls`"
    static let microserviceHint = "list microservices with `fogctl ms ls AGENT`; deploy one with `fogctl ms deploy`"
    static let routeHint = "list routes with `fogctl route ls`"
    static let linkHint = "list links with `fogctl link ls`"

    private func microservices(_ request: Request) async throws -> Response {
        let agent = request.uri.queryParameters["agent"].map(String.init)
        let list = try await Self.hinting(notFound: Self.agentHint) {
            try await environment.microservices.list(agent: agent)
        }
        return try Self.json(MicroserviceList(microservices: list))
    }

    private func deploy(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let body = try await request.decode(as: MicroserviceDeployRequest.self, context: context)
        let spec = MicroserviceSpec(
            name: body.name, executablePath: body.executable, arguments: body.arguments ?? [],
            environment: body.environment ?? [:], configuration: Array((body.configuration ?? "").utf8))
        let (record, replaced) = try await Self.hinting(notFound: Self.agentHint) {
            try await environment.microservices.deploy(agent: body.agent, spec)
        }
        let status = await environment.links.commandsStatus(of: record.agentID)
        return try Self.json(
            MicroserviceSummary(record, agentName: body.agent, reported: status?.microservices.first { $0.name == record.name }),
            status: replaced ? .ok : .created)
    }

    private func removeMicroservice(_ context: BasicRequestContext) async throws -> Response {
        // Both agent routes name the agent `{name}`: the router requires one name per position.
        let agent = try context.parameters.require("name")
        let name = try context.parameters.require("microservice")
        try await Self.hinting(notFound: Self.microserviceHint) {
            try await environment.microservices.remove(agent: agent, name: name)
        }
        return try Self.json(LinkDecommission(removed: "microservice \(agent)/\(name)"))
    }

    private func routes() async throws -> Response {
        let names = try await agentNames()
        let routes = try await environment.store.allRoutes().map { RouteSummary($0, agentNames: names) }
        return try Self.json(RouteList(routes: routes))
    }

    private func addRoute(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let body = try await request.decode(as: RouteRequest.self, context: context)
        let insertion = try await Self.hinting(notFound: Self.microserviceHint, nameTaken: Self.routeHint) {
            try await environment.links.addRoute(from: body.source, to: body.target)
        }
        let names = try await agentNames()
        let link = try await environment.links.summaries(of: [insertion.link]).first
        guard let link else { throw ControllerError(.notFound, "link \(insertion.link.id) vanished") }
        return try Self.json(
            RouteAddResult(
                route: RouteSummary(insertion.route, agentNames: names), link: link, linkCreated: insertion.linkCreated),
            status: .created)
    }

    private func removeRoute(_ request: Request) async throws -> Response {
        func address(_ name: String) throws -> MicroserviceAddress {
            guard let text = request.uri.queryParameters[name[...]], let address = MicroserviceAddress(parsing: String(text))
            else {
                throw AdminAPIError.badRequest(
                    "query parameter '\(name)' must be AGENT/MICROSERVICE", hint: "e.g. ?source=sensor-1/temp&target=gateway/store")
            }
            return address
        }
        let (source, target) = (try address("source"), try address("target"))
        let result = try await Self.hinting(notFound: Self.routeHint) {
            try await environment.links.removeRoute(from: source, to: target)
        }
        return try Self.json(result)
    }

    private func links() async throws -> Response {
        let links = try await environment.links.summaries(of: try await environment.store.allLinks())
        return try Self.json(LinkList(links: links))
    }

    private func removeLink(_ context: BasicRequestContext) async throws -> Response {
        let text = try context.parameters.require("id")
        guard let id = OpaqueID(text) else {
            throw AdminAPIError(
                .notFound, code: ControllerError.Code.notFound.description, message: "'\(text)' is not a link id",
                hint: Self.linkHint)
        }
        let result = try await Self.hinting(notFound: Self.linkHint) { try await environment.links.removeLink(id: id) }
        return try Self.json(result)
    }

    private func removeAgent(_ context: BasicRequestContext) async throws -> Response {
        let name = try context.parameters.require("name")
        let result = try await Self.hinting(notFound: Self.agentHint) { try await environment.links.removeAgent(named: name) }
        return try Self.json(result)
    }

    private func agentNames() async throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try await environment.store.agents().map { ($0.id.description, $0.name) })
    }

    /// Runs `body`, giving `.notFound` and `.nameTaken` failures the hint that fits the route.
    static func hinting<T>(
        notFound: String, nameTaken: String? = nil, _ body: () async throws -> T
    ) async throws -> T {
        do {
            return try await body()
        } catch let error as ControllerError {
            switch error.code {
            case .notFound:
                throw AdminAPIError(.notFound, code: error.code.description, message: error.message, hint: notFound)
            case .nameTaken where nameTaken != nil:
                throw AdminAPIError(.conflict, code: error.code.description, message: error.message, hint: nameTaken)
            default:
                throw error
            }
        }
    }
}
