internal import Foundation
public import Logging
public import ServiceLifecycle

/// Keeps the controller connected to every enrolled ComSat, as a `Service`.
///
/// Each round runs `ComSatFleet.connectAll` (connect, synchronise grants, record health);
/// sessions already up reconnect and resynchronise by themselves. After a round with
/// failures the next comes after a jittered, doubling delay (`fleetRetryInitial` up to
/// `fleetRetryMaximum`), so an unreachable ComSat is neither hammered nor forgotten; after
/// a clean round the fleet looks again every `fleetRefreshInterval` for newly enrolled
/// ComSats. `wake()` starts a round now (after a key was pinned). On graceful shutdown the
/// loop stops and every session is closed.
public struct ComSatFleetService: Service {
    public let fleet: ComSatFleet
    private let configuration: ControllerConfiguration
    private let wakeup = FleetWakeup()
    private let logger: Logger

    public init(fleet: ComSatFleet, configuration: ControllerConfiguration, logger: Logger) {
        self.fleet = fleet
        self.configuration = configuration
        self.logger = logger
    }

    /// Starts a connection round without waiting for the current delay to end.
    public func wake() {
        wakeup.signal()
    }

    public func run() async throws {
        let fleet = fleet
        let configuration = configuration
        let wakeup = wakeup
        let logger = logger
        await cancelWhenGracefulShutdown {
            var delay = configuration.fleetRetryInitial
            while !Task.isCancelled {
                let failed: Bool
                do {
                    let failures = try await fleet.connectAll()
                    failed = !failures.isEmpty
                    if failed {
                        logger.info("ComSats not connected; retrying", metadata: ["fog.comsat.failed": "\(failures.count)"])
                    }
                } catch {
                    failed = true
                    logger.error("cannot list ComSats", metadata: ["fog.error": "\(error)"])
                }
                let wait: Duration
                if failed {
                    // Full jitter in [delay/2, delay], so controllers restarted together spread out.
                    wait = delay / 2 + delay / 2 * Double.random(in: 0...1)
                    delay = min(delay * 2, configuration.fleetRetryMaximum)
                } else {
                    wait = configuration.fleetRefreshInterval
                    delay = configuration.fleetRetryInitial
                }
                await wakeup.wait(upTo: wait)
            }
        }
        await fleet.shutdown()
        logger.info("ComSat sessions closed")
    }
}
