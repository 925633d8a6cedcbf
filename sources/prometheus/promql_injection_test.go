package prometheus

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/pacerdev/pacer/recommender"
)

// Every string pacer puts into PromQL that comes from outside (namespace
// and pod names in a selector, from flags, policy files or the cluster)
// goes through quote or matcher. These tests render every query pacer sends
// with hostile values and check, with PromQL's own string-literal rules,
// that the query outside its string literals is exactly the query a plain
// value gives, and that each literal reads back as the value.

// injections try to end the string literal or the selector and append
// PromQL of their own, or to widen a regexp matcher.
var injections = []string{
	`shop"} or vector(1) #`,
	`shop\"} or vector(1)`,
	"shop\"}\nor vector(1)",
	`shop\`,
	`\\"} or vector(1) or {a="`,
	`"`, `}`, `"}`, `{`, `)`, `]`, `[5m]`, `'`, "`", "\n", "\r\n", "\t", "\x00", "\xff\xfe", "\u2028", "🙂",
	`.*`, `.+`, `a|b`, `^$`, `(?i)shop`, `\d+`, `$1`,
	`{{.Selector}}`, `{{.By}}`, `%s`, `%!v`,
	` or vector(1)`, `offset 1h`, `# comment`,
}

// recordingQuerier records every query and answers with nothing.
type recordingQuerier struct {
	mu      sync.Mutex
	queries []string
}

func (q *recordingQuerier) record(query string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.queries = append(q.queries, query)
}

func (q *recordingQuerier) Query(_ context.Context, query string, _ time.Time, _ ...v1.Option) (model.Value, v1.Warnings, v1.Infos, error) {
	q.record(query)
	return model.Vector{}, nil, nil, nil
}

func (q *recordingQuerier) QueryRange(_ context.Context, query string, _ v1.Range, _ ...v1.Option) (model.Value, v1.Warnings, v1.Infos, error) {
	q.record(query)
	return model.Matrix{}, nil, nil, nil
}

// sentQueries runs a range fetch and a detection with the selector and
// returns every query sent, sorted.
func sentQueries(t testing.TB, sel recommender.Selector) []string {
	t.Helper()
	q := &recordingQuerier{}
	src, err := newSource(q, Options{URL: "http://prometheus.invalid"})
	if err != nil {
		t.Fatal(err)
	}
	end := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	if _, err := src.Fetch(context.Background(), recommender.Query{Window: recommender.Window{End: end, Range: time.Hour, Step: time.Minute}, Selector: sel}); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Detect(context.Background(), sel, end); err != nil {
		t.Fatal(err)
	}
	slices.Sort(q.queries)
	return q.queries
}

// splitPromQL separates a query into its code outside string literals,
// with each literal replaced by "S", and the literals' values, reading
// literals by PromQL's rules: "…" and '…' with backslash escapes, `…` raw.
// ok is false when a literal does not end or does not read back.
func splitPromQL(query string) (code string, literals []string, ok bool) {
	var b strings.Builder
	for i := 0; i < len(query); i++ {
		c := query[i]
		if c != '"' && c != '\'' && c != '`' {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		for j < len(query) && query[j] != c {
			if query[j] == '\\' && c != '`' {
				j++
			}
			j++
		}
		if j >= len(query) {
			return "", nil, false
		}
		lit := query[i : j+1]
		if c == '\'' { // strconv reads single-quoted strings as runes only
			lit = `"` + strings.ReplaceAll(lit[1:len(lit)-1], `"`, `\"`) + `"`
		}
		v, err := strconv.Unquote(lit)
		if err != nil {
			return "", nil, false
		}
		literals = append(literals, v)
		b.WriteString("S")
		i = j
	}
	return b.String(), literals, true
}

// checkSameShape fails unless every hostile query has the code of its
// plain counterpart and its literals equal the plain ones with each plain
// value replaced by its hostile one, as want maps them.
func checkSameShape(t testing.TB, plain, hostile []string, want func(plainLiteral string) string) {
	t.Helper()
	if len(plain) != len(hostile) {
		t.Fatalf("%d queries with plain values, %d with hostile ones", len(plain), len(hostile))
	}
	type split struct {
		code     string
		literals []string
	}
	byCode := map[string][]split{}
	for _, q := range plain {
		code, lits, ok := splitPromQL(q)
		if !ok {
			t.Fatalf("plain query does not tokenize: %s", q)
		}
		byCode[code] = append(byCode[code], split{code, lits})
	}
	for _, q := range hostile {
		code, lits, ok := splitPromQL(q)
		if !ok {
			t.Fatalf("a string literal does not end where it should: %s", q)
		}
		candidates, found := byCode[code]
		if !found {
			t.Fatalf("hostile values changed the query's code:\n%s\nnot among the plain queries' codes", q)
		}
		match := slices.ContainsFunc(candidates, func(p split) bool {
			if len(p.literals) != len(lits) {
				return false
			}
			for i := range lits {
				if want(p.literals[i]) != lits[i] {
					return false
				}
			}
			return true
		})
		if !match {
			t.Fatalf("literals %q of query %s are not the plain ones with the values replaced", lits, q)
		}
	}
}

func TestQueriesWithHostileSelectorValues(t *testing.T) {
	plain := sentQueries(t, recommender.Selector{Namespaces: []string{"plainns"}, Pods: []string{"plainpod"}})
	for _, v := range injections {
		hostile := sentQueries(t, recommender.Selector{Namespaces: []string{v}, Pods: []string{v + "x"}})
		checkSameShape(t, plain, hostile, func(lit string) string {
			return strings.NewReplacer("plainns", v, "plainpod", v+"x").Replace(lit)
		})
	}
}

func TestQueriesWithHostileSelectorLists(t *testing.T) {
	plain := sentQueries(t, recommender.Selector{Namespaces: []string{"plainns1", "plainns2"}, Pods: []string{"plainpod1", "plainpod2"}})
	for _, v := range injections {
		pods := []string{v, "checkout-0"}
		hostile := sentQueries(t, recommender.Selector{Namespaces: []string{v, v + v}, Pods: pods})
		checkSameShape(t, plain, hostile, func(lit string) string {
			return strings.NewReplacer(
				"plainns1", regexp.QuoteMeta(v), "plainns2", regexp.QuoteMeta(v+v),
				"plainpod1", regexp.QuoteMeta(v), "plainpod2", "checkout-0").Replace(lit)
		})
		// Prometheus anchors a regexp matcher: it selects the values named
		// and nothing else. (Invalid UTF-8 is no regexp; Prometheus refuses
		// such a query whole, which selects nothing.)
		re, err := regexp.Compile("^(?:" + regexp.QuoteMeta(v) + "|checkout-0)$")
		if err != nil {
			continue
		}
		for _, p := range pods {
			if !re.MatchString(p) {
				t.Errorf("%q: the pod matcher does not select %q", v, p)
			}
		}
		for _, other := range []string{"", "checkout-1", "x" + v, v + "x", "other"} {
			if !slices.Contains(pods, other) && re.MatchString(other) {
				t.Errorf("%q: the pod matcher also selects %q", v, other)
			}
		}
	}
}

// FuzzSelectorQueries: no namespace or pod names change any query pacer
// sends, beyond the values of its string literals.
func FuzzSelectorQueries(f *testing.F) {
	for _, v := range injections {
		f.Add(v, v+"-0", "checkout")
	}
	plainOne := sentQueries(f, recommender.Selector{Namespaces: []string{"plainns"}, Pods: []string{"plainpod1", "plainpod2"}})
	f.Fuzz(func(t *testing.T, ns, pod1, pod2 string) {
		if pod1 == pod2 {
			return
		}
		if ns == "" || pod1 == "" || pod2 == "" {
			// An empty name is refused, not sent (TestEmptySelectorNameRefused).
			return
		}
		hostile := sentQueries(t, recommender.Selector{Namespaces: []string{ns}, Pods: []string{pod1, pod2}})
		checkSameShape(t, plainOne, hostile, func(lit string) string {
			return strings.NewReplacer("plainns", ns, "plainpod1", regexp.QuoteMeta(pod1), "plainpod2", regexp.QuoteMeta(pod2)).Replace(lit)
		})
	})
}

// TestShapeCheckCatchesNaiveQuoting shows the check above has teeth: a
// query built by pasting a value between quotes changes shape.
func TestShapeCheckCatchesNaiveQuoting(t *testing.T) {
	naive := func(v string) string { return `sum by (pod) (go_goroutines{namespace="` + v + `"})` }
	plainCode, _, _ := splitPromQL(naive("plainns"))
	for _, v := range []string{`shop"} or vector(1) #`, `shop\`, `"`, "a\"}\nor vector(1)"} {
		code, _, ok := splitPromQL(naive(v))
		if ok && code == plainCode {
			t.Errorf("pasting %q between quotes went unnoticed", v)
		}
		quoted := `sum by (pod) (go_goroutines{namespace=` + quote(v) + `})`
		if code, lits, ok := splitPromQL(quoted); !ok || code != plainCode || len(lits) != 1 || lits[0] != v {
			t.Errorf("quote(%q): code %q, literals %q; want %q and the value", v, code, lits, plainCode)
		}
	}
}

// TestHostileLabelNamesRefused: label names appear unquoted in by-clauses
// and matchers, so each configured one must be a plain Prometheus label
// name; anything that could carry PromQL is refused, naming the setting.
func TestHostileLabelNamesRefused(t *testing.T) {
	for _, name := range append([]string{"", "pod-name", "1pod", "pod name", "__name__=~\".*\"", "pod) or vector(1", "pod,namespace", "p\u00f6d"}, injections...) {
		for setting, labels := range map[string]Labels{
			"namespace label": {Namespace: name}, "pod label": {Pod: name}, "container label": {Container: name},
		} {
			errs := Options{URL: "http://x", Labels: labels}.Validate()
			if len(errs) == 0 || !strings.Contains(errors.Join(errs...).Error(), setting+": label name "+strconv.Quote(name)) {
				if name == "" {
					continue // empty takes the default
				}
				t.Errorf("%s %q: Validate() = %v, want a refusal naming the setting and the value", setting, name, errs)
			}
		}
	}
}
