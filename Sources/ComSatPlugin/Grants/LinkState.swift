internal import FogCore

/// What the plugin knows about one link: which grants are its halves and which sides have
/// opted in (authenticated at least once).
///
/// Exists while at least one half has a grant. Opt-in is per side and survives a half's
/// grant being replaced (for example a rotated secret); removing a half's grant forgets
/// that side's opt-in, so a new grant for it must opt in again.
struct LinkState {
    let id: OpaqueID
    /// Store slot of the A and B halves' grants, -1 when not granted.
    var halves: (a: Int, b: Int) = (-1, -1)
    /// Journal location of each side's opt-in record; nil until that side authenticates.
    var optIns: (a: JournalLocation?, b: JournalLocation?) = (nil, nil)

    init(id: OpaqueID) {
        self.id = id
    }

    var isOptedIn: Bool { optIns.a != nil && optIns.b != nil }
    var isEmpty: Bool { halves.a < 0 && halves.b < 0 }

    func half(_ side: Grant.LinkSide) -> Int {
        side == .a ? halves.a : halves.b
    }

    mutating func setHalf(_ side: Grant.LinkSide, _ slot: Int) {
        if side == .a { halves.a = slot } else { halves.b = slot }
    }

    func optIn(_ side: Grant.LinkSide) -> JournalLocation? {
        side == .a ? optIns.a : optIns.b
    }

    mutating func setOptIn(_ side: Grant.LinkSide, _ location: JournalLocation?) {
        if side == .a { optIns.a = location } else { optIns.b = location }
    }

    /// Journal payload of a side's opt-in: link id (16 bytes) then side (1 byte).
    static func optInPayload(_ id: OpaqueID, _ side: Grant.LinkSide) -> [UInt8] {
        var writer = ByteWriter(capacity: 17)
        id.write(to: &writer)
        writer.writeUInt8(side.rawValue)
        return writer.bytes
    }
}
