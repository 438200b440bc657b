package zk

import (
	"errors"
	"math"
	"math/big"
	"math/bits"
	"runtime"
	"sync"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/pedersen"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/constraint"
	cs "github.com/consensys/gnark/constraint/bn254"
)

// groth16Setup is gnark v0.16.1's Groth16 setup for BN254
// (backend/groth16/bn254/setup.go, Apache-2.0, Consensys Software Inc.)
// with one change: the keys' points are computed by a fixed-base comb
// (fixedBaseG1/G2: a table of every c-bit digit times 2^(c·k) times the
// generator, then one addition per digit) instead of gnark's
// BatchScalarMultiplicationG1/G2, which doubles about 250 times per point.
// The profile of a size-2^10 setup spent 87% of its CPU there; the comb
// does the same products in about a tenth of the work. The keys are the
// same function of the same random secrets, in gnark's types and
// encodings; TestFixedBase checks the comb against gnark's.
func groth16Setup(r1cs *cs.R1CS) (*groth16bn254.ProvingKey, *groth16bn254.VerifyingKey, error) {
	pk, vk := new(groth16bn254.ProvingKey), new(groth16bn254.VerifyingKey)
	nbWires := r1cs.NbInternalVariables + r1cs.GetNbPublicVariables() + r1cs.GetNbSecretVariables()

	commitmentInfo := r1cs.CommitmentInfo.(constraint.Groth16Commitments)
	commitmentWires := commitmentInfo.CommitmentIndexes()
	privateCommitted := commitmentInfo.GetPrivateCommitted()
	nbPrivateCommittedWires := 0
	for _, s := range privateCommitted {
		nbPrivateCommittedWires += len(s)
	}
	nbPublicWires := r1cs.GetNbPublicVariables() + len(commitmentInfo)
	nbPrivateWires := r1cs.GetNbSecretVariables() + r1cs.NbInternalVariables - nbPrivateCommittedWires - len(commitmentInfo)

	domain := fft.NewDomain(uint64(r1cs.GetNbConstraints()))
	tw, err := sampleToxicWaste()
	if err != nil {
		return nil, nil, err
	}
	A, B, C := setupABC(r1cs, domain, tw)

	pkK, vkK, ckK := keyScalars(r1cs, A, B, C, &tw, nbPublicWires, nbPrivateWires)

	Z := vanishingPowers(domain, &tw)

	A, pk.InfinityA = dropZeros(A)
	B, pk.InfinityB = dropZeros(B)
	pk.NbInfinityA, pk.NbInfinityB = uint64(nbWires-len(A)), uint64(nbWires-len(B))

	g1Scalars := make([]fr.Element, 0, 3+len(A)+len(B)+len(Z)+len(vkK)+len(pkK)+nbPrivateCommittedWires)
	g1Scalars = append(g1Scalars, tw.alpha, tw.beta, tw.delta)
	g1Scalars = append(g1Scalars, A...)
	g1Scalars = append(g1Scalars, B...)
	g1Scalars = append(g1Scalars, Z...)
	g1Scalars = append(g1Scalars, vkK...)
	g1Scalars = append(g1Scalars, pkK...)
	for i := range ckK {
		g1Scalars = append(g1Scalars, ckK[i]...)
	}
	_, _, g1, g2 := curve.Generators()
	g1Points := fixedBaseG1(&g1, g1Scalars)

	pk.G1.Alpha, pk.G1.Beta, pk.G1.Delta = g1Points[0], g1Points[1], g1Points[2]
	offset := 3
	pk.G1.A = g1Points[offset : offset+len(A)]
	offset += len(A)
	pk.G1.B = g1Points[offset : offset+len(B)]
	offset += len(B)
	bitReverse(g1Points[offset : offset+int(domain.Cardinality)])
	pk.G1.Z = g1Points[offset : offset+int(domain.Cardinality)-1]
	offset += int(domain.Cardinality)
	vk.G1.K = g1Points[offset : offset+nbPublicWires]
	offset += nbPublicWires
	pk.G1.K = g1Points[offset : offset+nbPrivateWires]
	offset += nbPrivateWires

	commitmentBases := make([][]curve.G1Affine, len(commitmentInfo))
	for i := range commitmentBases {
		commitmentBases[i] = g1Points[offset : offset+len(ckK[i])]
		offset += len(ckK[i])
	}
	if offset != len(g1Points) {
		return nil, nil, errors.New("zk: setup did not use every G1 point")
	}
	if err := commitmentKeys(pk, vk, commitmentBases); err != nil {
		return nil, nil, err
	}
	vk.PublicAndCommitmentCommitted = commitmentInfo.GetPublicAndCommitmentCommitted(commitmentWires, r1cs.GetNbPublicVariables())

	g2Points := fixedBaseG2(&g2, append(B, tw.beta, tw.delta, tw.gamma))
	pk.G2.B = g2Points[:len(B)]
	pk.G2.Beta, pk.G2.Delta = g2Points[len(B)], g2Points[len(B)+1]
	vk.G2.Delta, vk.G2.Gamma = g2Points[len(B)+1], g2Points[len(B)+2]

	vk.G1.Alpha, vk.G2.Beta = pk.G1.Alpha, pk.G2.Beta
	vk.G1.Beta, vk.G1.Delta = pk.G1.Beta, pk.G1.Delta
	if err := vk.Precompute(); err != nil {
		return nil, nil, err
	}
	pk.Domain = *domain
	return pk, vk, nil
}

// keyScalars computes (beta*A[i] + alpha*B[i] + C[i]) / gamma for the
// public and committed wires (vkK, and ckK per commitment) and / delta for
// the other private ones (pkK), as gnark's setup does.
func keyScalars(r1cs *cs.R1CS, A, B, C []fr.Element, tw *toxicWaste, nbPublicWires, nbPrivateWires int) (pkK, vkK []fr.Element, ckK [][]fr.Element) {
	commitmentInfo := r1cs.CommitmentInfo.(constraint.Groth16Commitments)
	commitmentWires := commitmentInfo.CommitmentIndexes()
	privateCommitted := commitmentInfo.GetPrivateCommitted()
	pkK = make([]fr.Element, nbPrivateWires)
	vkK = make([]fr.Element, nbPublicWires)
	ckK = make([][]fr.Element, len(commitmentInfo))
	for i := range commitmentInfo {
		ckK[i] = make([]fr.Element, 0, len(privateCommitted[i]))
	}
	var t0, t1 fr.Element
	computeK := func(i int, coeff *fr.Element) {
		t1.Mul(&A[i], &tw.beta)
		t0.Mul(&B[i], &tw.alpha)
		t1.Add(&t1, &t0).Add(&t1, &C[i]).Mul(&t1, coeff)
	}
	vI := 0
	committed := newMergeIterator(privateCommitted)
	nbPrivateCommittedSeen, nbCommitmentsSeen := 0, 0
	for i := range A {
		commitmentIndex := committed.indexIfNext(i)
		isCommitment, isPublic := false, i < r1cs.GetNbPublicVariables()
		if !isPublic && nbCommitmentsSeen < len(commitmentWires) && commitmentWires[nbCommitmentsSeen] == i {
			isCommitment = true
			nbCommitmentsSeen++
		}
		if isPublic || isCommitment || commitmentIndex != -1 {
			computeK(i, &tw.gammaInv)
			if isPublic || isCommitment {
				vkK[vI] = t1
				vI++
			} else {
				ckK[commitmentIndex] = append(ckK[commitmentIndex], t1)
				nbPrivateCommittedSeen++
			}
		} else {
			computeK(i, &tw.deltaInv)
			pkK[i-vI-nbPrivateCommittedSeen] = t1
		}
	}
	return pkK, vkK, ckK
}

// dropZeros removes the zero scalars from xs (their points would be at
// infinity) and says which ones it removed, as gnark's proving key keeps it.
func dropZeros(xs []fr.Element) ([]fr.Element, []bool) {
	inf := make([]bool, len(xs))
	n := 0
	for i, e := range xs {
		if e.IsZero() {
			inf[i] = true
			continue
		}
		xs[n] = xs[i]
		n++
	}
	return xs[:n], inf
}

// vanishingPowers gives Z[i] = (t^N - 1) / delta * t^i for the domain's
// N points: the scalars of the proving key's Z bases.
func vanishingPowers(domain *fft.Domain, tw *toxicWaste) []fr.Element {
	Z := make([]fr.Element, domain.Cardinality)
	one := fr.One()
	var zdt fr.Element
	zdt.Exp(tw.t, new(big.Int).SetUint64(domain.Cardinality)).Sub(&zdt, &one).Mul(&zdt, &tw.deltaInv)
	for i := range Z {
		Z[i] = zdt
		zdt.Mul(&zdt, &tw.t)
	}
	return Z
}

// commitmentKeys makes the Pedersen keys of the circuit's commitments, one
// per commitment, sharing one random G2 point.
func commitmentKeys(pk *groth16bn254.ProvingKey, vk *groth16bn254.VerifyingKey, bases [][]curve.G1Affine) error {
	cG2, err := curve.RandomOnG2()
	if err != nil {
		return err
	}
	if len(bases) > 0 {
		pk.CommitmentKeys = make([]pedersen.ProvingKey, len(bases))
		vk.CommitmentKeys = make([]pedersen.VerifyingKey, len(bases))
	}
	for i := range bases {
		comPKey, comVKey, err := pedersen.Setup(bases[i:i+1], pedersen.WithG2Point(cG2))
		if err != nil {
			return err
		}
		pk.CommitmentKeys[i] = comPKey[0]
		vk.CommitmentKeys[i] = comVKey
	}
	return nil
}

// The comb's digits: combBits bits each, combWindows of them cover a
// scalar (fr.Bits bits).
const (
	combBits    = 12
	combWindows = (fr.Bits + combBits - 1) / combBits
)

// digit returns scalar s's k-th combBits-bit digit.
func digit(s *[4]uint64, k int) int {
	bit := k * combBits
	w, o := bit/64, bit%64
	d := s[w] >> o
	if o+combBits > 64 && w+1 < 4 {
		d |= s[w+1] << (64 - o)
	}
	return int(d & (1<<combBits - 1))
}

// parallel runs work over [0, n) in chunks, one goroutine per CPU.
func parallel(n int, work func(start, end int)) {
	cpus := runtime.GOMAXPROCS(0)
	chunk := (n + cpus - 1) / cpus
	var wg sync.WaitGroup
	for start := 0; start < n; start += chunk {
		wg.Add(1)
		go func(start, end int) {
			defer wg.Done()
			work(start, end)
		}(start, min(start+chunk, n))
	}
	wg.Wait()
}

// fixedBaseG1 returns s_i·base for every scalar.
func fixedBaseG1(base *curve.G1Affine, scalars []fr.Element) []curve.G1Affine {
	const per = 1<<combBits - 1 // table entries j·2^(c·k)·base, j in [1, 2^c)
	table := make([]curve.G1Jac, combWindows*per)
	var b curve.G1Jac
	b.FromAffine(base)
	for k := range combWindows {
		row := table[k*per : (k+1)*per]
		row[0] = b
		for j := 1; j < per; j++ {
			row[j] = row[j-1]
			row[j].AddAssign(&b)
		}
		for range combBits {
			b.DoubleAssign()
		}
	}
	tab := curve.BatchJacobianToAffineG1(table)
	out := make([]curve.G1Jac, len(scalars))
	parallel(len(scalars), func(start, end int) {
		for i := start; i < end; i++ {
			s := scalars[i].Bits()
			var p curve.G1Jac
			p.Z.SetZero()
			p.X.SetOne()
			p.Y.SetOne()
			for k := range combWindows {
				if d := digit(&s, k); d != 0 {
					p.AddMixed(&tab[k*per+d-1])
				}
			}
			out[i] = p
		}
	})
	return curve.BatchJacobianToAffineG1(out)
}

// fixedBaseG2 is fixedBaseG1 on G2.
func fixedBaseG2(base *curve.G2Affine, scalars []fr.Element) []curve.G2Affine {
	const per = 1<<combBits - 1
	tab := make([]curve.G2Affine, combWindows*per)
	var b curve.G2Jac
	b.FromAffine(base)
	for k := range combWindows {
		row := make([]curve.G2Jac, per)
		row[0] = b
		for j := 1; j < per; j++ {
			row[j] = row[j-1]
			row[j].AddAssign(&b)
		}
		parallel(per, func(start, end int) {
			for j := start; j < end; j++ {
				tab[k*per+j].FromJacobian(&row[j])
			}
		})
		for range combBits {
			b.DoubleAssign()
		}
	}
	out := make([]curve.G2Affine, len(scalars))
	parallel(len(scalars), func(start, end int) {
		for i := start; i < end; i++ {
			s := scalars[i].Bits()
			var p curve.G2Jac
			p.Z.SetZero()
			p.X.SetOne()
			p.Y.SetOne()
			for k := range combWindows {
				if d := digit(&s, k); d != 0 {
					p.AddMixed(&tab[k*per+d-1])
				}
			}
			out[i].FromJacobian(&p)
		}
	})
	return out
}

// The rest is gnark's, unchanged but for names.

func setupABC(r1cs *cs.R1CS, domain *fft.Domain, tw toxicWaste) (A, B, C []fr.Element) {
	nbWires := r1cs.NbInternalVariables + r1cs.GetNbPublicVariables() + r1cs.GetNbSecretVariables()
	A = make([]fr.Element, nbWires)
	B = make([]fr.Element, nbWires)
	C = make([]fr.Element, nbWires)
	one := fr.One()
	var w fr.Element
	w.Set(&domain.Generator)
	wi := fr.One()
	t := make([]fr.Element, r1cs.GetNbConstraints()+1)
	for i := range t {
		t[i].Sub(&tw.t, &wi)
		wi.Mul(&wi, &w)
	}
	tInv := fr.BatchInvert(t)
	var L fr.Element
	L.Exp(tw.t, new(big.Int).SetUint64(domain.Cardinality)).Sub(&L, &one)
	L.Mul(&L, &tInv[0]).Mul(&L, &domain.CardinalityInv)
	accumulate := func(res *fr.Element, t constraint.Term, value *fr.Element) {
		switch cID := t.CoeffID(); cID {
		case constraint.CoeffIdZero:
		case constraint.CoeffIdOne:
			res.Add(res, value)
		case constraint.CoeffIdMinusOne:
			res.Sub(res, value)
		case constraint.CoeffIdTwo:
			var buf fr.Element
			buf.Double(value)
			res.Add(res, &buf)
		default:
			var buf fr.Element
			buf.Mul(&r1cs.Coefficients[cID], value)
			res.Add(res, &buf)
		}
	}
	j := 0
	it := r1cs.GetR1CIterator()
	for c := it.Next(); c != nil; c = it.Next() {
		for _, t := range c.L {
			accumulate(&A[t.WireID()], t, &L)
		}
		for _, t := range c.R {
			accumulate(&B[t.WireID()], t, &L)
		}
		for _, t := range c.O {
			accumulate(&C[t.WireID()], t, &L)
		}
		L.Mul(&L, &w).Mul(&L, &t[j]).Mul(&L, &tInv[j+1])
		j++
	}
	return A, B, C
}

// toxicWaste is the setup's secret, dropped when groth16Setup returns.
type toxicWaste struct {
	t, alpha, beta, gamma, delta fr.Element
	gammaInv, deltaInv           fr.Element
}

// sampleToxicWaste draws the secret from crypto/rand (fr.Element.SetRandom).
func sampleToxicWaste() (toxicWaste, error) {
	var tw toxicWaste
	for _, e := range []*fr.Element{&tw.t, &tw.alpha, &tw.beta, &tw.gamma, &tw.delta} {
		for e.IsZero() {
			if _, err := e.SetRandom(); err != nil {
				return tw, err
			}
		}
	}
	tw.gammaInv.Inverse(&tw.gamma)
	tw.deltaInv.Inverse(&tw.delta)
	return tw, nil
}

func bitReverse(a []curve.G1Affine) {
	n := uint(len(a))
	nn := uint(bits.UintSize - bits.TrailingZeros(n))
	for i := uint(0); i < n; i++ {
		if irev := bits.Reverse(i) >> nn; irev > i {
			a[i], a[irev] = a[irev], a[i]
		}
	}
}

// mergeIterator walks sorted slices merged (gnark's internal.MergeIterator).
type mergeIterator struct{ slices [][]int }

func newMergeIterator(s [][]int) *mergeIterator {
	c := make([][]int, len(s))
	copy(c, s)
	return &mergeIterator{c}
}

// indexIfNext returns the slice whose least element is value, consuming
// it, or -1.
func (m *mergeIterator) indexIfNext(value int) int {
	least, idx := math.MaxInt, -1
	for j, s := range m.slices {
		if len(s) > 0 && s[0] < least {
			least, idx = s[0], j
		}
	}
	if idx == -1 || least != value {
		return -1
	}
	m.slices[idx] = m.slices[idx][1:]
	return idx
}
