public import Hummingbird
public import Logging
internal import NIOCore

/// Builds the admin API application, as Hummingbird's template does: `fog-controller run`
/// runs it inside its `ServiceGroup`, tests call it directly.
///
/// Middleware order: errors become JSON (outermost), then the bearer token is checked, so
/// no route — `/metrics` included — answers without the admin token. Metrics are
/// protected too because they expose the fabric's shape (ComSat counts, command rates);
/// Prometheus sends the token with `authorization: {credentials_file: …/admin.token}`.
///
/// - Parameter onListening: called once the socket is bound, with the bound port (the
///   chosen one when the configuration asks for port 0).
/// - Throws: `ControllerConfigurationError` for a non-loopback address or bad port; the
///   application is never built for one.
public func buildAdminApplication(
    configuration: AdminAPIConfiguration, environment: AdminAPIEnvironment, logger: Logger,
    onListening: @escaping @Sendable (Int) async -> Void = { _ in }
) throws(ControllerConfigurationError) -> some ApplicationProtocol {
    try configuration.validate()
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: AdminErrorMiddleware())
    router.add(middleware: AdminTokenMiddleware(home: environment.home))
    AdminRoutes(environment: environment).register(on: router)
    return Application(
        router: router,
        configuration: ApplicationConfiguration(address: configuration.bindAddress, serverName: configuration.serverName),
        onServerRunning: { channel in
            await onListening(channel.localAddress?.port ?? configuration.port)
        },
        logger: logger)
}
