/// Produces mutated copies of valid messages for fuzz tests: bit flips, byte changes,
/// insertions, deletions, truncations, extensions, extreme length bytes and splices, one to
/// three at a time, so inputs reach deep into a decoder instead of failing at the first byte.
public struct ByteMutator {
    public var generator: SeededGenerator

    public init(seed: UInt64) {
        generator = SeededGenerator(seed: seed)
    }

    public mutating func mutate(_ samples: [[UInt8]]) -> [UInt8] {
        var bytes = samples[Int.random(in: 0..<samples.count, using: &generator)]
        for _ in 0..<Int.random(in: 1...3, using: &generator) {
            bytes = mutateOnce(bytes, samples: samples)
        }
        return bytes
    }

    private mutating func mutateOnce(_ input: [UInt8], samples: [[UInt8]]) -> [UInt8] {
        var bytes = input
        let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &generator)
        switch Int.random(in: 0..<8, using: &generator) {
        case 0 where !bytes.isEmpty:
            bytes[position] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
        case 1 where !bytes.isEmpty:
            bytes[position] = UInt8.random(in: 0...255, using: &generator)
        case 2:
            bytes.insert(UInt8.random(in: 0...255, using: &generator), at: position)
        case 3 where !bytes.isEmpty:
            bytes.remove(at: position)
        case 4:
            bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &generator)))
        case 5:
            bytes += (0..<Int.random(in: 1...16, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
        case 6 where !bytes.isEmpty:
            bytes[position] = [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF].randomElement(using: &generator) ?? 0xFF
        default:
            let other = samples[Int.random(in: 0..<samples.count, using: &generator)]
            let cut = Int.random(in: 0...min(bytes.count, other.count), using: &generator)
            bytes = Array(bytes.prefix(cut)) + other.dropFirst(cut)
        }
        return bytes
    }
}
