#if canImport(Glibc)
import Glibc
#endif

/// Independent streams of Gaussian noise with a power-law spectrum, power ∝ 1/f^β: β = 0 is
/// white noise, β = 1 pink, β = 2 red (Brownian). Temporally correlated action noise explores
/// far better than white noise where a task needs long consistent pushes (MountainCar: pink
/// noise, Eberhard et al., "Pink Noise Is All You Need", ICLR 2023).
///
/// Each stream is generated in chunks of `length` samples (a power of two; pick one at least an
/// episode long) by Timmer and König's method: Gaussian Fourier coefficients scaled by
/// f^(−β/2), with the lowest frequency 1/length standing in for 0, one inverse FFT, scaled to
/// unit variance (exactly, in expectation). Every stream has its own `Xoshiro256`, so the noise is reproducible and its
/// whole state (`state`) can be saved and restored. Nothing is allocated after `init`.
///
///     let noise = ColoredNoise(exponent: 1, length: 1024, streams: 2, seed: 7)
///     let epsilon = noise.next(stream: 0)   // ~ N(0, 1), correlated with its predecessors
public final class ColoredNoise {
    /// β: the spectrum's power-law exponent.
    public let exponent: Double
    /// Samples per generated chunk (a power of two).
    public let length: Int
    public let streams: Int
    private var chunks: [Float]
    private var positions: [Int]
    private var generators: [Xoshiro256]
    /// f^(−β/2) per frequency bin 0...length/2, and the unit-variance divisor.
    private let scale: [Double]
    private let sigma: Double
    private var real: [Double], imaginary: [Double]
    private let cosines: [Double], sines: [Double]

    public init(exponent: Double, length: Int, streams: Int, seed: UInt64) {
        precondition(length >= 4 && length & (length - 1) == 0, "ColoredNoise: length must be a power of two ≥ 4, not \(length)")
        precondition(streams >= 1, "ColoredNoise: at least one stream")
        self.exponent = exponent
        self.length = length
        self.streams = streams
        let n = Double(length)
        scale = (0...length / 2).map { k in pow(max(Double(k) / n, 1 / n), -exponent / 2) }
        // The generated series' exact variance: bins 0 and n/2 carry 2·scale², every other bin k
        // (with its mirror n − k) 4·scale² (the colorednoise package leaves bin 0 out, which
        // makes red noise's variance 1.3).
        var power = 2 * (scale[0] * scale[0] + scale[length / 2] * scale[length / 2])
        for k in 1..<length / 2 { power += 4 * scale[k] * scale[k] }
        sigma = power.squareRoot() / n
        chunks = Array(repeating: 0, count: streams * length)
        positions = Array(repeating: length, count: streams)   // generate on first use
        var seeder = Xoshiro256(seed: seed ^ 0xC0_10_4E_D0_15E)
        generators = (0..<streams).map { _ in Xoshiro256(seed: seeder.next()) }
        real = Array(repeating: 0, count: length)
        imaginary = Array(repeating: 0, count: length)
        cosines = (0..<length / 2).map { cos(2 * Double.pi * Double($0) / n) }
        sines = (0..<length / 2).map { sin(2 * Double.pi * Double($0) / n) }
    }

    /// The stream's next sample.
    @inline(__always)
    public func next(stream: Int) -> Float {
        if positions[stream] == length { generate(stream) }
        let value = chunks[stream * length + positions[stream]]
        positions[stream] += 1
        return value
    }

    /// Starts a fresh chunk for `stream` at its next sample (e.g. at an episode's start).
    public func restart(stream: Int) { positions[stream] = length }

    /// Everything that decides the streams' future samples.
    public struct State: Equatable, Sendable {
        public var chunks: [Float]
        public var positions: [Int]
        public var generatorWords: [UInt64]
        public init(chunks: [Float], positions: [Int], generatorWords: [UInt64]) {
            self.chunks = chunks
            self.positions = positions
            self.generatorWords = generatorWords
        }
    }

    public var state: State { State(chunks: chunks, positions: positions, generatorWords: generators.flatMap(\.stateWords)) }

    /// Restores `state`; false (and nothing changed) when its sizes do not fit these streams.
    public func restore(_ state: State) -> Bool {
        guard state.chunks.count == chunks.count, state.positions.count == streams,
              state.positions.allSatisfy({ (0...length).contains($0) }), state.generatorWords.count == 4 * streams else { return false }
        let restored = (0..<streams).compactMap { Xoshiro256(stateWords: Array(state.generatorWords[4 * $0 ..< 4 * $0 + 4])) }
        guard restored.count == streams else { return false }
        chunks = state.chunks
        positions = state.positions
        generators = restored
        return true
    }

    private func generate(_ stream: Int) {
        let n = length, half = n / 2
        // Hermitian spectrum: bins 0 and n/2 real (their variance doubled), bin n−k the conjugate of k.
        for k in 0...half {
            var re = generators[stream].nextStandardNormal() * scale[k]
            var im = generators[stream].nextStandardNormal() * scale[k]
            if k == 0 || k == half { re *= 2.0.squareRoot(); im = 0 }
            real[k] = re
            imaginary[k] = im
            if k > 0 && k < half {
                real[n - k] = re
                imaginary[n - k] = -im
            }
        }
        inverseFFT()
        let factor = 1 / (Double(n) * sigma)
        for i in 0..<n { chunks[stream * n + i] = Float(real[i] * factor) }
        positions[stream] = 0
    }

    /// In-place radix-2 inverse DFT of (real, imaginary), without the 1/n factor: the
    /// real part of a Hermitian spectrum's transform is the series.
    private func inverseFFT() {
        let n = length
        var j = 0
        for i in 1..<n {
            var bit = n >> 1
            while j & bit != 0 { j ^= bit; bit >>= 1 }
            j |= bit
            if i < j { real.swapAt(i, j); imaginary.swapAt(i, j) }
        }
        var size = 2
        while size <= n {
            let half = size / 2, stride = n / size
            var start = 0
            while start < n {
                for k in 0..<half {
                    let c = cosines[k * stride], s = sines[k * stride]   // e^{+2πik/size}
                    let a = start + k, b = a + half
                    let tr = real[b] * c - imaginary[b] * s, ti = real[b] * s + imaginary[b] * c
                    real[b] = real[a] - tr; imaginary[b] = imaginary[a] - ti
                    real[a] += tr; imaginary[a] += ti
                }
                start += size
            }
            size *= 2
        }
    }
}
