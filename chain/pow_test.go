package chain

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common/hexutil"
)

// Parameters of the aserti3-2d vectors (BCH mainnet, in seconds) and of a
// tinychain-like chain (in ms), declared here on purpose rather than taken
// from any genesis, so a change to the rule shows up as a failing test.
const (
	asertBCHSpacing   = 600    // seconds, aserti3-2d vectors
	asertBCHHalfLife  = 172800 // seconds (2 days)
	asertBCHPowLimit  = 0x1d00ffff
	asertVectorRuns   = 12        // run01..run12
	asertVectorLines  = 14000     // vector lines across all runs
	asertTestSpacing  = 10_000    // ms, a tinychain-like chain
	asertTestHalfLife = 3_600_000 // ms
)

func powMustHex(t testing.TB, s string) *big.Int {
	t.Helper()
	n, ok := new(big.Int).SetString(strings.TrimPrefix(s, "0x"), 16)
	if !ok {
		t.Fatalf("bad hex %q", s)
	}
	return n
}

func powPow2(n uint) *big.Int { return new(big.Int).Lsh(big.NewInt(1), n) }

// asertReference is aserti3-2d written from the specification a second
// time, with different primitives: exact rational arithmetic for the
// polynomial, Euclidean division for the floor, and no shortcuts for
// extreme exponents. Tests compare it with ASERTTarget.
func asertReference(anchor *big.Int, timeDiff, heightDiff, spacing, halfLife int64, powLimit *big.Int) *big.Int {
	num := new(big.Int).Mul(big.NewInt(spacing), big.NewInt(heightDiff+1))
	num.Sub(big.NewInt(timeDiff), num)
	num.Mul(num, big.NewInt(65536))
	exponent := new(big.Int).Quo(num, big.NewInt(halfLife)) // toward zero
	// floor(exponent / 65536) and the remainder in [0, 65536).
	shifts, frac := new(big.Int).DivMod(exponent, big.NewInt(65536), new(big.Int))
	// factor = 65536 + floor(P(frac)/2^48 + 1/2)
	p := new(big.Rat).SetInt64(195766423245049)
	p.Mul(p, new(big.Rat).SetInt(frac))
	f2 := new(big.Int).Mul(frac, frac)
	q := new(big.Rat).SetInt(new(big.Int).Mul(big.NewInt(971821376), f2))
	r := new(big.Rat).SetInt(new(big.Int).Mul(big.NewInt(5127), new(big.Int).Mul(f2, frac)))
	p.Add(p, q).Add(p, r)
	p.Quo(p, new(big.Rat).SetInt(powPow2(48)))
	p.Add(p, big.NewRat(1, 2))
	factor := new(big.Int).Quo(p.Num(), p.Denom()) // positive: floor
	factor.Add(factor, big.NewInt(65536))
	// target = floor(anchor × factor × 2^shifts / 2^16)
	prod := new(big.Rat).SetInt(new(big.Int).Mul(anchor, factor))
	s := shifts.Int64() - 16
	if s >= 0 {
		prod.Mul(prod, new(big.Rat).SetInt(powPow2(uint(s))))
	} else {
		prod.Quo(prod, new(big.Rat).SetInt(powPow2(uint(-s))))
	}
	target := new(big.Int).Quo(prod.Num(), prod.Denom())
	if target.Sign() == 0 {
		target.SetInt64(1)
	}
	if target.Cmp(powLimit) > 0 {
		target.Set(powLimit)
	}
	return target
}

type asertRun struct {
	file             string
	anchorHeight     uint64
	anchorParentTime int64
	anchorBits       uint32
	iterations       int
	lines            []asertLine
}

type asertLine struct {
	iteration int
	height    uint64
	time      int64
	bits      uint32
}

// loadASERTRun parses a Bitcoin Cash Node aserti3-2d vector file: "##"
// header lines (anchor height, anchor parent (or ancestor) time, anchor
// nBits, iterations), a "#" column line, then "iteration height time nBits".
func loadASERTRun(t *testing.T, path string) asertRun {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	run := asertRun{file: filepath.Base(path)}
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		fail := func(err error) { t.Fatalf("%s:%d: %q: %v", path, n, line, err) }
		switch {
		case line == "":
		case strings.HasPrefix(line, "##"):
			key, val, ok := strings.Cut(strings.TrimSpace(line[2:]), ":")
			if !ok {
				fail(errors.New("header line without ':'"))
			}
			val = strings.TrimSpace(val)
			key = strings.TrimSpace(key)
			seen[key] = true
			switch key {
			case "anchor height":
				run.anchorHeight, err = strconv.ParseUint(val, 10, 64)
			case "anchor parent time", "anchor ancestor time":
				run.anchorParentTime, err = strconv.ParseInt(val, 10, 64)
				seen["anchor parent time"] = true
			case "anchor nBits":
				var b uint64
				b, err = strconv.ParseUint(strings.TrimPrefix(val, "0x"), 16, 32)
				run.anchorBits = uint32(b)
			case "iterations":
				run.iterations, err = strconv.Atoi(val)
			}
			if err != nil {
				fail(err)
			}
		case strings.HasPrefix(line, "#"):
		default:
			fs := strings.Fields(line)
			if len(fs) != 4 {
				fail(errors.New("want 4 fields"))
			}
			var l asertLine
			var b uint64
			if l.iteration, err = strconv.Atoi(fs[0]); err != nil {
				fail(err)
			}
			if l.height, err = strconv.ParseUint(fs[1], 10, 64); err != nil {
				fail(err)
			}
			if l.time, err = strconv.ParseInt(fs[2], 10, 64); err != nil {
				fail(err)
			}
			if b, err = strconv.ParseUint(strings.TrimPrefix(fs[3], "0x"), 16, 32); err != nil {
				fail(err)
			}
			l.bits = uint32(b)
			run.lines = append(run.lines, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"anchor height", "anchor parent time", "anchor nBits", "iterations"} {
		if !seen[k] {
			t.Fatalf("%s: no %q header", path, k)
		}
	}
	if len(run.lines) != run.iterations {
		t.Fatalf("%s: %d lines, header says %d iterations", path, len(run.lines), run.iterations)
	}
	for i, l := range run.lines {
		if l.iteration != i+1 {
			t.Fatalf("%s: line %d has iteration %d", path, i+1, l.iteration)
		}
	}
	return run
}

// TestASERTVectors checks every line of the Bitcoin Cash Node aserti3-2d
// test vectors (see testdata/asert/README.md). Each line gives a parent's
// height and time and the compact target of the block after it.
func TestASERTVectors(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "asert", "run*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != asertVectorRuns {
		t.Fatalf("found %d vector files, want %d", len(files), asertVectorRuns)
	}
	powLimit := compactToBig(asertBCHPowLimit)
	total := 0
	for _, path := range files {
		run := loadASERTRun(t, path)
		t.Run(run.file, func(t *testing.T) {
			anchor := compactToBig(run.anchorBits)
			if got := bigToCompact(anchor); got != run.anchorBits {
				t.Fatalf("anchor nBits %#08x round-trips to %#08x", run.anchorBits, got)
			}
			for _, l := range run.lines {
				// Heights in run10 pass 2^63: subtract as uint64, as BCHN does.
				heightDiff := int64(l.height - run.anchorHeight)
				timeDiff := l.time - run.anchorParentTime
				got := ASERTTarget(anchor, timeDiff, heightDiff, asertBCHSpacing, asertBCHHalfLife, powLimit)
				if c := bigToCompact(got); c != l.bits {
					t.Fatalf("iteration %d (height %d, time %d): nBits %#08x, want %#08x",
						l.iteration, l.height, l.time, c, l.bits)
				}
				// The same block through tinychain's genesis-anchored entry:
				// a genesis at height 0 that is the anchor, due one spacing
				// after the anchor's parent.
				g := nextTargetFromGenesis(anchor, run.anchorParentTime+asertBCHSpacing, l.time,
					uint64(heightDiff), asertBCHSpacing, asertBCHHalfLife, powLimit)
				if g.Cmp(got) != 0 {
					t.Fatalf("iteration %d: nextTargetFromGenesis %#x, ASERTTarget %#x", l.iteration, g, got)
				}
				if ref := asertReference(anchor, timeDiff, heightDiff, asertBCHSpacing, asertBCHHalfLife, powLimit); ref.Cmp(got) != 0 {
					t.Fatalf("iteration %d: reference %#x, ASERTTarget %#x", l.iteration, ref, got)
				}
				total++
			}
		})
	}
	if total != asertVectorLines {
		t.Fatalf("checked %d vector lines, want %d", total, asertVectorLines)
	}
}

func TestASERTFactor(t *testing.T) {
	// The cubic must not overflow 64 bits for any frac, must be monotone, and
	// must stay within 0.013% of 65536 × 2^(frac/65536).
	prev := uint64(0)
	for frac := uint64(0); frac < 65536; frac++ {
		exact := new(big.Int).Mul(big.NewInt(asertPolyA), new(big.Int).SetUint64(frac))
		f := new(big.Int).SetUint64(frac)
		exact.Add(exact, new(big.Int).Mul(big.NewInt(asertPolyB), new(big.Int).Mul(f, f)))
		exact.Add(exact, new(big.Int).Mul(big.NewInt(asertPolyC), new(big.Int).Mul(f, new(big.Int).Mul(f, f))))
		exact.Add(exact, powPow2(47))
		if exact.BitLen() > 64 {
			t.Fatalf("frac %d: polynomial needs %d bits", frac, exact.BitLen())
		}
		exact.Rsh(exact, 48)
		exact.Add(exact, big.NewInt(65536))
		got := asertFactor(frac)
		if got != exact.Uint64() {
			t.Fatalf("frac %d: factor %d, exact %d", frac, got, exact)
		}
		if got < prev {
			t.Fatalf("frac %d: factor %d below previous %d", frac, got, prev)
		}
		prev = got
		ideal := 65536 * math.Exp2(float64(frac)/65536)
		if rel := math.Abs(float64(got)-ideal) / ideal; rel > 0.00013 {
			t.Fatalf("frac %d: factor %d vs 2^x %f: relative error %g", frac, got, ideal, rel)
		}
	}
	if asertFactor(0) != 65536 || asertFactor(65535) >= 131072 {
		t.Fatalf("factor range [%d, %d]", asertFactor(0), asertFactor(65535))
	}
}

func TestASERTOnSchedule(t *testing.T) {
	powLimit := new(big.Int).Sub(powPow2(255), big.NewInt(1))
	const genesisTime = 1_700_000_000_000
	for _, g := range []*big.Int{
		big.NewInt(1), big.NewInt(2), big.NewInt(0xffff),
		powMustHex(t, "0x00000fffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
		powMustHex(t, "0x0000123456789abcdef0123456789abcdef0123456789abcdef0123456789abc"),
		powLimit,
	} {
		for h := uint64(0); h < 5000; h += 7 {
			parent := genesisTime + int64(h)*asertTestSpacing
			got := nextTargetFromGenesis(g, genesisTime, parent, h, asertTestSpacing, asertTestHalfLife, powLimit)
			if got.Cmp(g) != 0 {
				t.Fatalf("genesis target %#x, on-schedule parent at height %d: target %#x", g, h, got)
			}
		}
	}
}

func TestASERTHalfLife(t *testing.T) {
	powLimit := new(big.Int).Sub(powPow2(256), big.NewInt(1))
	const genesisTime = 1_700_000_000_000
	g := powMustHex(t, "0x00000000ffff0000000000000000000000000000000000000000000000000000")
	at := func(h uint64, offsetMs int64) *big.Int {
		parent := genesisTime + int64(h)*asertTestSpacing + offsetMs
		return nextTargetFromGenesis(g, genesisTime, parent, h, asertTestSpacing, asertTestHalfLife, powLimit)
	}
	mul := func(n int64) *big.Int { return new(big.Int).Mul(g, big.NewInt(n)) }
	// Whole half-lives: frac is 0 and factor exactly 65536, so the target
	// doubles or halves exactly (right shifts floor).
	for _, tc := range []struct {
		offset int64
		want   *big.Int
	}{
		{asertTestHalfLife, mul(2)},
		{2 * asertTestHalfLife, mul(4)},
		{10 * asertTestHalfLife, mul(1024)},
		{-asertTestHalfLife, new(big.Int).Rsh(g, 1)},
		{-3 * asertTestHalfLife, new(big.Int).Rsh(g, 3)},
	} {
		for _, h := range []uint64{0, 1, 100, 1 << 40} {
			if got := at(h, tc.offset); got.Cmp(tc.want) != 0 {
				t.Errorf("height %d, %+d ms off schedule: %#x, want %#x", h, tc.offset, got, tc.want)
			}
		}
	}
	// Half a half-life late: factor(32768) = 92674, the cubic's value for
	// 65536 × √2 = 92681.9 (0.0085% low).
	if f := asertFactor(32768); f != 92674 {
		t.Fatalf("factor(32768) = %d", f)
	}
	want := new(big.Int).Rsh(new(big.Int).Mul(g, big.NewInt(92674)), 16)
	if got := at(5, asertTestHalfLife/2); got.Cmp(want) != 0 {
		t.Fatalf("half a half-life late: %#x, want %#x", got, want)
	}
	// Half a half-life early: exponent −32768 = −1×65536 + 32768, so the
	// target is g × 92674 >> 17, not g × (2 − 92674/65536) or anything a
	// truncating split would give.
	want = new(big.Int).Rsh(new(big.Int).Mul(g, big.NewInt(92674)), 17)
	if got := at(5, -asertTestHalfLife/2); got.Cmp(want) != 0 {
		t.Fatalf("half a half-life early: %#x, want %#x", got, want)
	}
}

// TestASERTNegativeExponent pins arithmetic-shift semantics: an exponent of
// −1 (one unit ahead of schedule) must give shifts −1 and frac 65535, a
// target a hair below the anchor, never above it.
func TestASERTNegativeExponent(t *testing.T) {
	powLimit := new(big.Int).Sub(powPow2(256), big.NewInt(1))
	anchor := powPow2(200)
	// halfLife 65536 and excess −1 give exponent exactly −1.
	got := ASERTTarget(anchor, 0, 0, 1, 65536, powLimit)
	want := new(big.Int).Rsh(new(big.Int).Mul(anchor, new(big.Int).SetUint64(asertFactor(65535))), 17)
	if got.Cmp(want) != 0 || got.Cmp(anchor) >= 0 {
		t.Fatalf("exponent −1: %#x, want %#x (< anchor)", got, want)
	}
	// Excess −1 with halfLife 65537: −65536/65537 truncates toward zero to 0,
	// so the anchor is kept (division truncates; only the split floors).
	if got := ASERTTarget(anchor, 0, 0, 1, 65537, powLimit); got.Cmp(anchor) != 0 {
		t.Fatalf("exponent −0.99: %#x, want the anchor", got)
	}
	// Timestamps going backwards: parents before genesis.
	const genesisTime = 1_000_000
	for _, parent := range []int64{genesisTime - 1, 0, -1, -asertTestHalfLife * 5, math.MinInt64} {
		g := powPow2(220)
		got := nextTargetFromGenesis(g, genesisTime, parent, 3, asertTestSpacing, asertTestHalfLife, powLimit)
		if got.Sign() <= 0 || got.Cmp(g) >= 0 {
			t.Fatalf("parent time %d: target %#x not in [1, genesis)", parent, got)
		}
	}
}

func TestASERTClamps(t *testing.T) {
	powLimit := powMustHex(t, "0x00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffff")
	anchor := powMustHex(t, "0x0000000000ffff00000000000000000000000000000000000000000000000000")
	for _, tc := range []struct {
		name       string
		anchor     *big.Int
		timeDiff   int64
		heightDiff int64
		want       *big.Int
	}{
		{"far behind", anchor, 100 * asertBCHHalfLife, 0, powLimit},
		{"one step above the limit", powLimit, 2 * asertBCHSpacing, 0, powLimit},
		{"max time", anchor, math.MaxInt64, 0, powLimit},
		{"max time, max height", anchor, math.MaxInt64, math.MaxInt64, big.NewInt(1)},
		{"far ahead", anchor, 0, 1_000_000, big.NewInt(1)},
		{"min time", anchor, math.MinInt64, 0, big.NewInt(1)},
		{"at 1, ahead", big.NewInt(1), 0, 1, big.NewInt(1)},
		{"at 1, on schedule", big.NewInt(1), 10 * asertBCHSpacing, 9, big.NewInt(1)},
		{"at 1, one half-life behind", big.NewInt(1), asertBCHSpacing + asertBCHHalfLife, 0, big.NewInt(2)},
		{"at the limit, on schedule", powLimit, 3 * asertBCHSpacing, 2, powLimit},
	} {
		got := ASERTTarget(tc.anchor, tc.timeDiff, tc.heightDiff, asertBCHSpacing, asertBCHHalfLife, powLimit)
		if got.Cmp(tc.want) != 0 {
			t.Errorf("%s: %#x, want %#x", tc.name, got, tc.want)
		}
		if got == powLimit || got == tc.anchor {
			t.Errorf("%s: result aliases an argument", tc.name)
		}
	}
	// A pow limit of 2^256−1 (a devnet) works too: results never exceed it.
	max := new(big.Int).Sub(powPow2(256), big.NewInt(1))
	if got := ASERTTarget(max, asertBCHSpacing+asertBCHHalfLife, 0, asertBCHSpacing, asertBCHHalfLife, max); got.Cmp(max) != 0 {
		t.Fatalf("2^256-1 limit: %#x", got)
	}
	if b := bigToTarget(ASERTTarget(max, math.MaxInt64, 0, 1, 1, max)); b != bigToTarget(max) {
		t.Fatalf("saturated target %x", b)
	}
}

// TestASERTProperties: the target never decreases as the parent comes
// later, never increases as it comes higher, stays in [1, powLimit], and
// agrees with the independent reference.
func TestASERTProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	powLimit := new(big.Int).Sub(powPow2(236), big.NewInt(1))
	randTarget := func() *big.Int {
		var b [32]byte
		for i := 0; i < 32; i += 8 {
			binary.BigEndian.PutUint64(b[i:], rng.Uint64())
		}
		n := new(big.Int).SetBytes(b[:])
		n.Rsh(n, uint(256-1-rng.IntN(235))) // 1..235 bits, so n+1 ≤ powLimit
		return n.Add(n, big.NewInt(1))
	}
	for i := 0; i < 3000; i++ {
		anchor := randTarget()
		spacing := 1 + rng.Int64N(700_000)
		halfLife := 1 + rng.Int64N(400_000_000)
		height := rng.Int64N(1 << 20)
		if i%3 == 0 {
			height = rng.Int64N(10)
		}
		center := height * spacing
		span := 64 * halfLife
		if i%5 == 0 {
			span = 400 * halfLife // reach both clamps
		}
		t1 := center - span + rng.Int64N(2*span)
		t2 := t1 + rng.Int64N(halfLife/4+1)
		a := ASERTTarget(anchor, t1, height, spacing, halfLife, powLimit)
		b := ASERTTarget(anchor, t2, height, spacing, halfLife, powLimit)
		c := ASERTTarget(anchor, t1, height+1+rng.Int64N(100), spacing, halfLife, powLimit)
		if a.Cmp(b) > 0 {
			t.Fatalf("later parent (%d > %d) gave a smaller target: %#x > %#x", t2, t1, a, b)
		}
		if c.Cmp(a) > 0 {
			t.Fatalf("higher parent gave a larger target: %#x > %#x", c, a)
		}
		for _, x := range []*big.Int{a, b, c} {
			if x.Sign() <= 0 || x.Cmp(powLimit) > 0 {
				t.Fatalf("target %#x out of [1, powLimit]", x)
			}
		}
		if ref := asertReference(anchor, t1, height, spacing, halfLife, powLimit); ref.Cmp(a) != 0 {
			t.Fatalf("anchor %#x time %d height %d spacing %d halfLife %d: %#x, reference %#x",
				anchor, t1, height, spacing, halfLife, a, ref)
		}
		// Genesis-anchored entry agrees with the general one.
		genesisTime := rng.Int64N(1 << 42)
		parentTime := genesisTime - spacing + t1
		if g := nextTargetFromGenesis(anchor, genesisTime, parentTime, uint64(height), spacing, halfLife, powLimit); g.Cmp(a) != 0 {
			t.Fatalf("nextTargetFromGenesis %#x, ASERTTarget %#x", g, a)
		}
	}
}

// FuzzASERTTarget compares ASERTTarget with the reference on arbitrary
// inputs (the seeds run as a plain test).
func FuzzASERTTarget(f *testing.F) {
	f.Add([]byte{1}, int64(600), int64(0), int64(600), int64(172800))
	f.Add([]byte{0xff, 0xff}, int64(-1), int64(3), int64(1), int64(65536))
	f.Add([]byte{0x12, 0x34, 0x56}, int64(10_000<<30+10_000+100*3_600_000+12345), int64(1<<30), int64(10_000), int64(3_600_000))
	f.Add([]byte{7}, int64(-1<<20), int64(0), int64(1), int64(4096))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff}, int64(1<<21), int64(5), int64(600), int64(4096))
	powLimit := new(big.Int).Sub(powPow2(224), big.NewInt(1))
	f.Fuzz(func(t *testing.T, anchorBytes []byte, timeDiff, heightDiff, spacing, halfLife int64) {
		anchor := new(big.Int).SetBytes(anchorBytes)
		if anchor.Sign() == 0 || anchor.Cmp(powLimit) > 0 || heightDiff < 0 || heightDiff > 1<<40 ||
			spacing <= 0 || spacing > 1<<20 || halfLife <= 0 ||
			timeDiff > 1<<50 || timeDiff < -(1<<50) {
			t.Skip()
		}
		// The reference shifts by the exponent literally: keep it to a few
		// thousand bits (TestASERTClamps covers saturation beyond).
		excess := new(big.Int).Mul(big.NewInt(spacing), big.NewInt(heightDiff+1))
		excess.Sub(big.NewInt(timeDiff), excess)
		if excess.Abs(excess).Cmp(new(big.Int).Mul(big.NewInt(halfLife), big.NewInt(4096))) > 0 {
			t.Skip()
		}
		got := ASERTTarget(anchor, timeDiff, heightDiff, spacing, halfLife, powLimit)
		if ref := asertReference(anchor, timeDiff, heightDiff, spacing, halfLife, powLimit); ref.Cmp(got) != 0 {
			t.Fatalf("%#x, reference %#x", got, ref)
		}
	})
}

func TestASERTBadParams(t *testing.T) {
	limit := big.NewInt(1 << 40)
	for _, tc := range []struct {
		name          string
		target        *big.Int
		spacing, half int64
		limit         *big.Int
	}{
		{"zero target", big.NewInt(0), 1, 1, limit},
		{"nil target", nil, 1, 1, limit},
		{"target above limit", big.NewInt(1<<40 + 1), 1, 1, limit},
		{"zero spacing", big.NewInt(1), 0, 1, limit},
		{"negative half-life", big.NewInt(1), 1, -5, limit},
		{"zero half-life", big.NewInt(1), 1, 0, limit},
		{"nil limit", big.NewInt(1), 1, 1, nil},
		{"limit of 2^256", big.NewInt(1), 1, 1, powPow2(256)},
	} {
		g := Devnet()
		g.Target, g.PowLimit = (*hexutil.Big)(tc.target), (*hexutil.Big)(tc.limit)
		g.BlockIntervalMs, g.HalfLifeMs = tc.spacing, tc.half
		if err := g.Check(); !errors.Is(err, ErrBadGenesis) || CodeOf(err) != ErrBadGenesis {
			t.Errorf("%s: Genesis.Check = %v, want ErrBadGenesis", tc.name, err)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: ASERTTarget did not panic", tc.name)
				}
			}()
			ASERTTarget(tc.target, 0, 0, tc.spacing, tc.half, tc.limit)
		}()
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: nextTargetFromGenesis did not panic", tc.name)
				}
			}()
			nextTargetFromGenesis(tc.target, 0, 0, 0, tc.spacing, tc.half, tc.limit)
		}()
	}
	g := Devnet()
	g.Target, g.PowLimit, g.BlockIntervalMs, g.HalfLifeMs = (*hexutil.Big)(limit), (*hexutil.Big)(limit), 1, 1
	if err := g.Check(); err != nil {
		t.Fatalf("valid params: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("negative height difference did not panic")
		}
	}()
	ASERTTarget(big.NewInt(1), 0, -1, 1, 1, limit)
}

func TestCheckProofOfWork(t *testing.T) {
	for _, target := range []*big.Int{
		big.NewInt(1),
		powMustHex(t, "0x00000000ffff0000000000000000000000000000000000000000000000000000"),
		powMustHex(t, "0x0000ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
		powMustHex(t, "0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
	} {
		at := bigToTarget(target)
		above := bigToTarget(new(big.Int).Add(target, big.NewInt(1)))
		below := bigToTarget(new(big.Int).Sub(target, big.NewInt(1)))
		if !CheckProofOfWork(at, target) {
			t.Errorf("hash == target %#x fails", target)
		}
		if CheckProofOfWork(above, target) {
			t.Errorf("hash == target+1 passes for target %#x", target)
		}
		if !CheckProofOfWork(below, target) {
			t.Errorf("hash == target-1 fails for target %#x", target)
		}
	}
	var zero, ones [32]byte
	for i := range ones {
		ones[i] = 0xff
	}
	max := targetToBig(ones)
	if !CheckProofOfWork(ones, max) || !CheckProofOfWork(zero, max) {
		t.Error("max target must accept every hash")
	}
	if CheckProofOfWork(zero, big.NewInt(0)) || CheckProofOfWork(zero, nil) || CheckProofOfWork(zero, big.NewInt(-1)) {
		t.Error("a non-positive target must never be met")
	}
	if !CheckProofOfWork(ones, powPow2(300)) {
		t.Error("a target above 2^256 is met by every hash")
	}
	// Byte order: the first byte is the most significant.
	var h [32]byte
	h[0] = 1
	if CheckProofOfWork(h, new(big.Int).Sub(powPow2(248), big.NewInt(1))) || !CheckProofOfWork(h, powPow2(248)) {
		t.Error("hash is not read big-endian")
	}
}

func TestCalcWork(t *testing.T) {
	for _, tc := range []struct {
		target *big.Int
		want   *big.Int
	}{
		{new(big.Int).Sub(powPow2(256), big.NewInt(1)), big.NewInt(1)},
		{new(big.Int).Sub(powPow2(255), big.NewInt(1)), big.NewInt(2)},
		{powPow2(255), big.NewInt(1)},
		{new(big.Int).Sub(powPow2(224), big.NewInt(1)), powPow2(32)},
		{big.NewInt(1), powPow2(255)},
		{compactToBig(0x1d00ffff), big.NewInt(0x100010001)}, // Bitcoin's genesis work
		{big.NewInt(0), big.NewInt(0)},
		{big.NewInt(-7), big.NewInt(0)},
		{nil, big.NewInt(0)},
		{powPow2(256), big.NewInt(0)},
	} {
		if got := CalcWork(tc.target); got.Cmp(tc.want) != 0 {
			t.Errorf("CalcWork(%#x) = %#x, want %#x", tc.target, got, tc.want)
		}
	}
}

func TestCompact(t *testing.T) {
	// Bitcoin Core's arith_uint256 SetCompact/GetCompact cases.
	for _, tc := range []struct {
		bits  uint32
		value string // hex, "-" for negative
		back  uint32
	}{
		{0x00000000, "0", 0},
		{0x00123456, "0", 0},
		{0x01003456, "0", 0},
		{0x02000056, "0", 0},
		{0x03000000, "0", 0},
		{0x04000000, "0", 0},
		{0x00923456, "0", 0},
		{0x01803456, "0", 0},
		{0x02800056, "0", 0},
		{0x03800000, "0", 0},
		{0x04800000, "0", 0},
		{0x01123456, "12", 0x01120000},
		{0x01fedcba, "-7e", 0x01fe0000},
		{0x02123456, "1234", 0x02123400},
		{0x03123456, "123456", 0x03123456},
		{0x04123456, "12345600", 0x04123456},
		{0x04923456, "-12345600", 0x04923456},
		{0x05009234, "92340000", 0x05009234},
		{0x20123456, "1234560000000000000000000000000000000000000000000000000000000000", 0x20123456},
		{0x1d00ffff, "ffff0000000000000000000000000000000000000000000000000000", 0x1d00ffff},
	} {
		want, _ := new(big.Int).SetString(tc.value, 16)
		got := compactToBig(tc.bits)
		if got.Cmp(want) != 0 {
			t.Errorf("compactToBig(%#08x) = %#x, want %#x", tc.bits, got, want)
		}
		if c := bigToCompact(got); c != tc.back {
			t.Errorf("bigToCompact(%#x) = %#08x, want %#08x", got, c, tc.back)
		}
	}
	// Truncation keeps the top three bytes; a high mantissa bit moves a byte.
	if c := bigToCompact(powMustHex(t, "0x80")); c != 0x02008000 {
		t.Errorf("bigToCompact(0x80) = %#08x", c)
	}
	if c := bigToCompact(powMustHex(t, "0x123456789a")); c != 0x05123456 {
		t.Errorf("bigToCompact(0x123456789a) = %#08x", c)
	}
}

func TestTargetEncoding(t *testing.T) {
	h := sha256.Sum256([]byte("tinychain"))
	n := hashToBig(h)
	if bigToTarget(n) != h || targetToBig(h).Cmp(n) != 0 {
		t.Fatal("32-byte round trip")
	}
	if b := bigToTarget(big.NewInt(0x0102)); b[30] != 1 || b[31] != 2 || b[0] != 0 {
		t.Fatalf("not big-endian: %x", b)
	}
	for _, bad := range []*big.Int{nil, big.NewInt(-1), powPow2(256)} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("bigToTarget(%v) did not panic", bad)
				}
			}()
			bigToTarget(bad)
		}()
	}
}

// nextTargetFromGenesis is aserti3-2d anchored at a genesis block whose
// parent is taken to be one spacing before it (Bitcoin Cash's form of the
// anchor; tinychain anchors at block 1, see NextTarget): a second
// derivation of the exponent that the tests check ASERTTarget against.
func nextTargetFromGenesis(genesisTarget *big.Int, genesisTimeMs int64, parentTimeMs int64, parentHeight uint64, spacingMs, halfLifeMs int64, powLimit *big.Int) *big.Int {
	if err := asertParamsErr(genesisTarget, spacingMs, halfLifeMs, powLimit); err != nil {
		panic("chain: nextTargetFromGenesis: " + err.Error())
	}
	// excess = (parent − (genesis − spacing)) − spacing × (parentHeight+1)
	//        = parent − genesis − spacing × parentHeight
	excess := new(big.Int).SetUint64(parentHeight)
	excess.Mul(excess, big.NewInt(spacingMs))
	excess.Add(excess, big.NewInt(genesisTimeMs))
	excess.Sub(big.NewInt(parentTimeMs), excess)
	return asertFromExcess(genesisTarget, excess, halfLifeMs, powLimit)
}

// Test helpers: header targets and Bitcoin's compact form, in which the
// aserti3-2d vectors are written.

// hashToBig reads a hash as a big-endian unsigned 256-bit integer, the
// number that CheckProofOfWork compares with the target.
func hashToBig(h [32]byte) *big.Int {
	return new(big.Int).SetBytes(h[:])
}

// bigToTarget encodes a target as the header carries it: 32 bytes,
// big-endian, full precision. It panics if t is nil, negative or needs more
// than 256 bits; targets that ASERTTarget returns always fit.
func bigToTarget(t *big.Int) [32]byte {
	if t == nil || t.Sign() < 0 || t.BitLen() > 256 {
		panic(fmt.Sprintf("chain: bigToTarget: %v does not fit 256 unsigned bits", t))
	}
	var b [32]byte
	t.FillBytes(b[:])
	return b
}

// targetToBig decodes a header's 32-byte big-endian target.
func targetToBig(b [32]byte) *big.Int {
	return new(big.Int).SetBytes(b[:])
}

// compactToBig decodes Bitcoin's compact "nBits" form: the top byte is a
// size in bytes, bit 23 a sign, and the low 23 bits the mantissa, so the
// value is ±mantissa × 256^(size−3). tinychain headers carry full 256-bit
// targets; compact form serves the aserti3-2d test vectors and display.
// Like Bitcoin's SetCompact it yields a negative number when the sign bit is
// set; unlike it, no value is too large (big.Int has room).
func compactToBig(c uint32) *big.Int {
	mant := int64(c & 0x007fffff)
	size := uint(c >> 24)
	var n *big.Int
	if size <= 3 {
		n = big.NewInt(mant >> (8 * (3 - size)))
	} else {
		n = big.NewInt(mant)
		n.Lsh(n, 8*(size-3))
	}
	if c&0x00800000 != 0 {
		n.Neg(n)
	}
	return n
}

// bigToCompact encodes n in Bitcoin's compact "nBits" form, as Bitcoin's
// GetCompact does: the three most significant bytes survive and the rest are
// truncated (so compactToBig(bigToCompact(n)) ≤ |n|), and a mantissa whose
// top bit would read as the sign moves down one byte. Zero encodes as 0.
// Values wider than 255 bytes cannot be encoded; targets never are.
func bigToCompact(n *big.Int) uint32 {
	if n.Sign() == 0 {
		return 0
	}
	abs := new(big.Int).Abs(n)
	size := uint((abs.BitLen() + 7) / 8)
	var mant uint32
	if size <= 3 {
		mant = uint32(abs.Uint64()) << (8 * (3 - size))
	} else {
		mant = uint32(abs.Rsh(abs, 8*(size-3)).Uint64())
	}
	if mant&0x00800000 != 0 {
		mant >>= 8
		size++
	}
	c := uint32(size)<<24 | mant
	if n.Sign() < 0 {
		c |= 0x00800000
	}
	return c
}
