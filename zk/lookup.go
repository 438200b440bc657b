package zk

import (
	"math/big"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/hash/mimc"
	"github.com/consensys/gnark/std/multicommit"
)

// The per-row lookups are log-derivative arguments (Haböck) written out
// here rather than taken from gnark's std: a value v is in the table t
// when sum_j 1/(λ - q_j) = sum_i m_i/(λ - t_i) for a random λ drawn from
// a commitment to the queries and the multiplicities m (a hint). A query
// costs one constraint (its inverse) and a table row one (its quotient).
// gnark's range checker decomposes every value into limbs and checks
// their sum, and its lookup table has one value column: a range check
// of a row's write or clock cost two to four constraints there, and the
// code lookup needed a range check on the partner to tell the command
// from the partner in one packed value.

func init() { solver.RegisterHint(countHint) }

// rangeTable proves that values lie in [0, n): the constant table 0..n-1.
type rangeTable struct {
	n    int
	vals []frontend.Variable
}

func (t *rangeTable) check(v frontend.Variable) { t.vals = append(t.vals, v) }

// prove adds the argument for every value checked.
func (t *rangeTable) prove(api frontend.API) {
	m, err := api.Compiler().NewHint(countHint, t.n, t.vals...)
	if err != nil {
		panic(err)
	}
	committed := append(append([]frontend.Variable{}, m...), t.vals...)
	multicommit.WithCommitment(api, func(api frontend.API, lambda frontend.Variable) error {
		var left, right frontend.Variable = 0, 0
		for i := range m {
			left = api.Add(left, api.DivUnchecked(m[i], api.Sub(lambda, i)))
		}
		for _, v := range t.vals {
			right = api.Add(right, api.Inverse(api.Sub(lambda, v)))
		}
		api.AssertIsEqual(left, right)
		return nil
	}, committed...)
}

// codeTable is the code as rows (index, command, partner): a query
// (pc, op, partner) is a row of the code, each column on its own, so a
// command is never read as another with a shifted partner.
type codeTable struct {
	op, partner        []frontend.Variable // row i of the code
	qpc, qop, qpartner []frontend.Variable
}

func (t *codeTable) lookup(pc, op, partner frontend.Variable) {
	t.qpc = append(t.qpc, pc)
	t.qop = append(t.qop, op)
	t.qpartner = append(t.qpartner, partner)
}

// prove adds the argument: columns combined as pc + γ·op + γ²·partner.
func (t *codeTable) prove(api frontend.API) {
	m, err := api.Compiler().NewHint(countHint, len(t.op), t.qpc...)
	if err != nil {
		panic(err)
	}
	committed := append([]frontend.Variable{}, m...)
	for _, col := range [][]frontend.Variable{t.op, t.partner, t.qpc, t.qop, t.qpartner} {
		committed = append(committed, col...)
	}
	multicommit.WithCommitment(api, func(api frontend.API, lambda frontend.Variable) error {
		h, err := mimc.NewMiMC(api)
		if err != nil {
			return err
		}
		h.Write(lambda)
		g := h.Sum()
		g2 := api.Mul(g, g)
		row := func(pc, op, partner frontend.Variable) frontend.Variable {
			return api.Sub(lambda, api.Add(pc, api.Mul(g, op), api.Mul(g2, partner)))
		}
		var left, right frontend.Variable = 0, 0
		for i := range m {
			left = api.Add(left, api.DivUnchecked(m[i], row(i, t.op[i], t.partner[i])))
		}
		for j := range t.qpc {
			right = api.Add(right, api.Inverse(row(t.qpc[j], t.qop[j], t.qpartner[j])))
		}
		api.AssertIsEqual(left, right)
		return nil
	}, committed...)
}

// countHint counts how often each of 0..len(out)-1 occurs in the inputs.
func countHint(_ *big.Int, in []*big.Int, out []*big.Int) error {
	for _, o := range out {
		o.SetUint64(0)
	}
	for _, v := range in {
		if v.IsUint64() && v.Uint64() < uint64(len(out)) {
			out[v.Uint64()].Add(out[v.Uint64()], big.NewInt(1))
		}
	}
	return nil
}
