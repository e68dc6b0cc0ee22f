import FogCore
import Synchronization

/// The credentials of every link half the simulated agents were assigned, as the halves'
/// `fog-link` processes would hold them: the bench connects with them to send a link's
/// first message and to check that removal revoked them.
final class LinkHalfBook: Sendable {
    private struct Key: Hashable {
        var linkID: OpaqueID
        var side: Grant.LinkSide
    }

    private let halves = Mutex<[Key: LinkHalfCredentials]>([:])

    /// Records a half's credentials; a reassignment replaces them (the controller installs
    /// the hash reported last).
    func record(_ half: LinkHalfCredentials) {
        halves.withLock { $0[Key(linkID: half.linkID, side: half.side)] = half }
    }

    /// Both halves of `linkID`, once both were assigned.
    func link(_ linkID: OpaqueID) -> (a: LinkHalfCredentials, b: LinkHalfCredentials)? {
        halves.withLock { halves in
            guard let a = halves[Key(linkID: linkID, side: .a)], let b = halves[Key(linkID: linkID, side: .b)] else { return nil }
            return (a, b)
        }
    }
}
