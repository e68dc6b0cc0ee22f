internal import FogCore

/// Chooses the ComSat a new link goes on: the least-loaded healthy one.
///
/// Healthy means recorded `.healthy` and with a live session in this controller's fleet
/// right now, so the halves' grants can be installed as soon as they report. Load is the
/// number of links placed on it; ties go to the ComSat whose name sorts first, so placement
/// is deterministic for operators and tests.
public struct LinkPlacement: Sendable {
    public let store: any ControllerStore
    public let fleet: ComSatFleet

    public init(store: any ControllerStore, fleet: ComSatFleet) {
        self.store = store
        self.fleet = fleet
    }

    /// - Throws: `.noHealthyComSat` naming how many ComSats are enrolled and why none fits.
    public func choose() async throws(ControllerError) -> ComSatRecord {
        let comsats = try await store.comsats()
        var live: [ComSatRecord] = []
        for comsat in comsats where comsat.health == .healthy {
            if let session = await fleet.session(for: comsat.id), await session.isConnected {
                live.append(comsat)
            }
        }
        let counts = try await store.linkCounts()
        let chosen = live.min { lhs, rhs in
            let (left, right) = (counts[lhs.id, default: 0], counts[rhs.id, default: 0])
            return left != right ? left < right : (lhs.name, lhs.id.description) < (rhs.name, rhs.id.description)
        }
        guard let chosen else {
            let healthy = comsats.count { $0.health == .healthy }
            throw ControllerError(
                .noHealthyComSat,
                comsats.isEmpty
                    ? "no ComSat is enrolled, so the link has nowhere to go"
                    : "none of the \(comsats.count) enrolled ComSats is healthy with a live session (\(healthy) recorded healthy)")
        }
        return chosen
    }
}
