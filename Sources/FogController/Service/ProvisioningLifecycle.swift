internal import ServiceLifecycle

/// Runs the controller's `ProvisioningService` as a `Service` of `fog-controller run`.
///
/// A graceful shutdown finishes the request stream rather than cancelling, so requests
/// already received are still answered while the ComSat sessions are up; the group's
/// shutdown timeout cancels it if a ComSat hangs.
struct ProvisioningLifecycle: Service {
    let provisioning: ProvisioningService

    func run() async throws {
        let provisioning = provisioning
        await withGracefulShutdownHandler {
            await provisioning.run()
        } onGracefulShutdown: {
            Task { await provisioning.finish() }
        }
    }
}
