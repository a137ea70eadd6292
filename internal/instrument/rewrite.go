package instrument

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"strings"
)

// HooksPath is the import path of the hooks package in an instrumented
// build, and hooksName the name rewritten files import it as. Both are
// chosen so that they cannot clash with a real module or a name in the
// user's code (.invalid is a reserved top-level domain).
const (
	HooksPath = "handoff.invalid/hooks"
	hooksName = "_handoff"
)

// Op is what a site does.
type Op string

// The operations the rewriter instruments.
const (
	OpMake   Op = "make"   // make(chan T, n)
	OpSend   Op = "send"   // ch <- v
	OpRecv   Op = "recv"   // <-ch, v, ok := <-ch
	OpRange  Op = "range"  // for v := range ch
	OpClose  Op = "close"  // close(ch)
	OpGo     Op = "go"     // go f(x)
	OpSelect Op = "select" // select { ... }
	OpLock   Op = "lock"   // mu.Lock(), mu.RLock(), mu.TryLock(), ...
	OpUnlock Op = "unlock" // mu.Unlock(), mu.RUnlock()
	OpWait   Op = "wait"   // wg.Wait()
)

// A Site is one instrumented place in the user's code. The hooks record a
// site's number, never its text.
type Site struct {
	File string // slash-separated, relative to the module's root
	Line int
	Op   Op
	// Name is, for make, the variable or field the channel is assigned to
	// (or where it goes when it is not assigned); for go, the function
	// started; otherwise the channel expression as written.
	Name string
}

// At returns the site as a trace's "at" field: file:line.
func (s Site) At() string { return fmt.Sprintf("%s:%d", s.File, s.Line) }

// sites numbers the sites of a build; site 0 is none.
type sites struct {
	list []Site
}

func (ss *sites) add(s Site) int {
	if len(ss.list) == 0 {
		ss.list = append(ss.list, Site{})
	}
	ss.list = append(ss.list, s)
	return len(ss.list) - 1
}

// A Skip is a place the rewriter saw but left as it was, and why.
type Skip struct {
	At  string
	Why string
}

// fileRewriter rewrites one file of a package.
type fileRewriter struct {
	fset  *token.FileSet
	tf    *token.File
	file  *ast.File
	src   []byte
	info  *types.Info
	sites *sites
	rel   string // the file, relative to the module root
	es    edits
	names int // hidden names made so far
	skips []Skip
	// funcLits counts the function literals of each top-level function,
	// and litIndex numbers each, to name goroutines started from one as
	// Go names them (main.func1).
	funcLits map[string]int
	litIndex map[*ast.FuncLit]int
	changed  bool
	conds    map[types.Object]bool // see condLockers
	typesPkg *types.Package        // see pkg
}

// rewriteFile returns the file's new text, or changed false when nothing in
// it needed rewriting.
func rewriteFile(fset *token.FileSet, file *ast.File, src []byte, info *types.Info, ss *sites, rel string) (out string, changed bool, skips []Skip) {
	r := &fileRewriter{fset: fset, tf: fset.File(file.Pos()), file: file, src: src, info: info, sites: ss, rel: rel, funcLits: map[string]int{}, litIndex: map[*ast.FuncLit]int{}}
	for _, d := range file.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			r.walk(d, "init")
			continue
		}
		name := fd.Name.Name
		if fd.Recv != nil && len(fd.Recv.List) == 1 {
			name = recvTypeName(fd.Recv.List[0].Type) + "." + name
		}
		r.walk(fd, name)
	}
	if !r.changed {
		return "", false, r.skips
	}
	r.es.open(r.off(file.Name.End()), 0, fmt.Sprintf("; import %s %q", hooksName, HooksPath))
	return r.es.apply(src, 0, len(src)), true, r.skips
}

func recvTypeName(e ast.Expr) string {
	for {
		switch t := e.(type) {
		case *ast.StarExpr:
			e = t.X
		case *ast.IndexExpr:
			e = t.X
		case *ast.IndexListExpr:
			e = t.X
		case *ast.ParenExpr:
			e = t.X
		case *ast.Ident:
			return t.Name
		default:
			return "?"
		}
	}
}

func (r *fileRewriter) off(p token.Pos) int { return r.tf.Offset(p) }

func (r *fileRewriter) line(p token.Pos) int { return r.tf.Line(p) }

func (r *fileRewriter) text(n ast.Node) string {
	return string(r.src[r.off(n.Pos()):r.off(n.End())])
}

// shortText is n's source text on one line, cut to a readable length.
func (r *fileRewriter) shortText(n ast.Node) string {
	s := strings.Join(strings.Fields(r.text(n)), " ")
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return s
}

func (r *fileRewriter) site(p token.Pos, op Op, name string) int {
	r.changed = true
	return r.sites.add(Site{File: r.rel, Line: r.line(p), Op: op, Name: name})
}

func (r *fileRewriter) hidden(what string) string {
	r.names++
	return fmt.Sprintf("%s_%s%d", hooksName, what, r.names)
}

func (r *fileRewriter) skip(p token.Pos, why string) {
	r.skips = append(r.skips, Skip{At: fmt.Sprintf("%s:%d", r.rel, r.line(p)), Why: why})
}

// walk rewrites the nodes under root, children before their parents, so
// that a construct that moves a piece of source text moves it with the
// edits made inside it.
func (r *fileRewriter) walk(root ast.Node, fn string) {
	var stack []ast.Node
	ast.Inspect(root, func(n ast.Node) bool {
		if n != nil {
			if lit, ok := n.(*ast.FuncLit); ok {
				r.funcLits[fn]++
				r.litIndex[lit] = r.funcLits[fn]
			}
			stack = append(stack, n)
			return true
		}
		n = stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		r.node(n, stack, fn)
		return true
	})
}

// node rewrites n, whose ancestors are stack (the parent last).
func (r *fileRewriter) node(n ast.Node, stack []ast.Node, fn string) {
	depth := len(stack)
	parent := func(i int) ast.Node { // i = 1: the parent
		if len(stack) >= i {
			return stack[len(stack)-i]
		}
		return nil
	}
	switch n := n.(type) {
	case *ast.SendStmt:
		if cc, ok := parent(1).(*ast.CommClause); ok && cc.Comm == n {
			return // the select rewrites it
		}
		targs, ok := r.sendTypeArgs(n.Chan, n.Value)
		if !ok {
			r.skip(n.Pos(), "a send of a value whose type differs from the channel's element type, which cannot be named in this file, is not instrumented")
			return
		}
		s := r.site(n.Pos(), OpSend, r.shortText(n.Chan))
		r.es.open(r.off(n.Chan.Pos()), depth, hooksName+".Send"+targs+"(")
		r.es.replace(r.off(n.Arrow), r.off(n.Arrow)+2, ",")
		r.es.close(r.off(n.Value.End()), depth, fmt.Sprintf(", %d)", s))

	case *ast.UnaryExpr:
		if n.Op != token.ARROW {
			return
		}
		if r.isSelectComm(n, stack) {
			return // the select rewrites it
		}
		hook := "Recv"
		if r.isCommaOK(n, stack) {
			hook = "Recv2"
			if as := r.namedOK(n, stack); as != nil {
				r.recvNamedOK(n, as, stack, depth)
				return
			}
		} else if r.isContextDone(n.X) {
			hook = "WaitDone" // the wait for a context's end, as a select's done case
		}
		s := r.site(n.Pos(), OpRecv, r.shortText(n.X))
		r.es.replace(r.off(n.OpPos), r.off(n.OpPos)+2, hooksName+"."+hook+"(")
		r.es.close(r.off(n.X.End()), depth, fmt.Sprintf(", %d)", s))

	case *ast.RangeStmt:
		if !r.isChan(n.X) {
			return
		}
		r.rangeStmt(n, depth)

	case *ast.CallExpr:
		if _, isGo := parent(1).(*ast.GoStmt); !isGo {
			r.syncCall(n)
		}
		r.waitGroupGo(n, depth, fn)
		switch r.builtin(n.Fun) {
		case "close":
			if len(n.Args) != 1 {
				return
			}
			s := r.site(n.Pos(), OpClose, r.shortText(n.Args[0]))
			r.es.replace(r.off(n.Fun.Pos()), r.off(n.Fun.End()), hooksName+".Close")
			r.es.close(r.off(n.Args[0].End()), depth, fmt.Sprintf(", %d", s))
		case "make":
			if len(n.Args) == 0 || !r.isChan(n) {
				return
			}
			s := r.site(n.Pos(), OpMake, r.chanName(n, stack, fn))
			r.es.open(r.off(n.Pos()), depth, hooksName+".MakeChan(")
			r.es.close(r.off(n.End()), depth, fmt.Sprintf(", %d)", s))
		}

	case *ast.GoStmt:
		r.goStmt(n, depth, fn)

	case *ast.SelectStmt:
		r.selectStmt(n)
	}
}

// isSelectComm reports whether the receive n is a select case's own
// operation, which the select's rewriting replaces.
func (r *fileRewriter) isSelectComm(n *ast.UnaryExpr, stack []ast.Node) bool {
	i := len(stack) - 1
	for i >= 0 {
		if p, ok := stack[i].(*ast.ParenExpr); ok && p != nil {
			i--
			continue
		}
		break
	}
	if i < 1 {
		return false
	}
	cc, ok := stack[i-1].(*ast.CommClause)
	if !ok {
		return false
	}
	switch s := stack[i].(type) {
	case *ast.ExprStmt:
		return s == cc.Comm
	case *ast.AssignStmt:
		return s == cc.Comm
	}
	return false
}

// isCommaOK reports whether the receive n is the right-hand side of
// v, ok := <-ch (or =, or var v, ok = <-ch).
func (r *fileRewriter) isCommaOK(n *ast.UnaryExpr, stack []ast.Node) bool {
	i := len(stack) - 1
	for i >= 0 {
		if _, ok := stack[i].(*ast.ParenExpr); ok {
			i--
			continue
		}
		break
	}
	if i < 0 {
		return false
	}
	switch p := stack[i].(type) {
	case *ast.AssignStmt:
		return len(p.Lhs) == 2 && len(p.Rhs) == 1
	case *ast.ValueSpec:
		return len(p.Names) == 2 && len(p.Values) == 1
	}
	return false
}

// namedOK returns the assignment v, ok = <-ch that n is the receive of
// when ok is of a named bool type (the comma-ok's untyped bool is
// assignable to it, the hook's bool is not), else nil.
func (r *fileRewriter) namedOK(n *ast.UnaryExpr, stack []ast.Node) *ast.AssignStmt {
	i := len(stack) - 1
	for i >= 0 {
		if _, ok := stack[i].(*ast.ParenExpr); ok {
			i--
			continue
		}
		break
	}
	if i < 0 {
		return nil
	}
	as, ok := stack[i].(*ast.AssignStmt)
	if !ok || as.Tok != token.ASSIGN || len(as.Lhs) != 2 {
		return nil
	}
	t := r.info.TypeOf(as.Lhs[1])
	if t == nil || types.Identical(t, types.Typ[types.Bool]) {
		return nil
	}
	return as
}

// recvNamedOK rewrites v, ok = <-ch, ok of a named bool type, into
//
//	{ var _handoff_v1, _handoff_ok2 = _handoff.Recv2(ch, N); v, ok = _handoff_v1, _handoff_ok2 == true }
//
// where the comparison is the untyped bool Go's own receive gives. A
// block is a statement: where the assignment is not one in a list (an
// if's or a for's init or post), the receive is left alone.
func (r *fileRewriter) recvNamedOK(n *ast.UnaryExpr, as *ast.AssignStmt, stack []ast.Node, depth int) {
	inList := false
	for i := len(stack) - 1; i >= 1; i-- {
		if stack[i] == as {
			switch p := stack[i-1].(type) {
			case *ast.BlockStmt:
				inList = true
			case *ast.CaseClause:
				inList = slices.Contains(p.Body, ast.Stmt(as))
			case *ast.CommClause:
				inList = slices.Contains(p.Body, ast.Stmt(as))
			}
			break
		}
	}
	if !inList {
		r.skip(n.Pos(), "v, ok = <-ch with ok of a named bool type, outside a list of statements, is not instrumented")
		return
	}
	s := r.site(n.Pos(), OpRecv, r.shortText(n.X))
	v, ok := r.hidden("v"), r.hidden("ok")
	lhs := []string{r.moved(as.Lhs[0]), r.moved(as.Lhs[1])}
	lo := r.off(as.Pos())
	r.es.drop(lo, r.off(as.TokPos))
	r.es.replace(lo, r.off(as.TokPos)+1, fmt.Sprintf("{ var %s, %s =", v, ok))
	r.es.replace(r.off(n.OpPos), r.off(n.OpPos)+2, hooksName+".Recv2(")
	r.es.close(r.off(n.X.End()), depth, fmt.Sprintf(", %d)", s))
	r.es.close(r.off(as.End()), 0, fmt.Sprintf("; %s, %s = %s, %s == true }", lhs[0], lhs[1], v, ok))
}

// isChan reports whether e is a channel: its underlying type is a chan,
// or it is of a type parameter whose every type is a chan of one element
// type and direction (C ~chan E), which the hooks' type parameters infer
// as they do a chan.
func (r *fileRewriter) isChan(e ast.Expr) bool {
	t := r.info.TypeOf(e)
	if t == nil {
		return false
	}
	return coreChan(t) != nil
}

// coreChan returns the channel type t is, or is for every type a type
// parameter may be, or nil.
func coreChan(t types.Type) *types.Chan {
	if c, ok := t.Underlying().(*types.Chan); ok {
		return c
	}
	tp, ok := t.(*types.TypeParam)
	if !ok {
		return nil
	}
	iface, ok := tp.Constraint().Underlying().(*types.Interface)
	if !ok {
		return nil
	}
	var core *types.Chan
	same := func(c *types.Chan) bool {
		if core == nil {
			core = c
		}
		return c.Dir() == core.Dir() && types.Identical(c.Elem(), core.Elem())
	}
	for i := 0; i < iface.NumEmbeddeds(); i++ {
		var terms []types.Type
		switch et := iface.EmbeddedType(i).(type) {
		case *types.Union:
			for j := 0; j < et.Len(); j++ {
				terms = append(terms, et.Term(j).Type())
			}
		default:
			terms = append(terms, et)
		}
		for _, term := range terms {
			c, ok := term.Underlying().(*types.Chan)
			if !ok || !same(c) {
				return nil
			}
		}
	}
	return core
}

// builtin returns the name of the built-in function fun calls, or "".
func (r *fileRewriter) builtin(fun ast.Expr) string {
	for {
		p, ok := fun.(*ast.ParenExpr)
		if !ok {
			break
		}
		fun = p.X
	}
	id, ok := fun.(*ast.Ident)
	if !ok {
		return ""
	}
	if _, ok := r.info.Uses[id].(*types.Builtin); ok {
		return id.Name
	}
	return ""
}

// chanName names the channel made by mk after where it goes: the variable
// or field it is assigned to, the function that returns it, or the call
// it is passed to.
func (r *fileRewriter) chanName(mk *ast.CallExpr, stack []ast.Node, fn string) string {
	var child ast.Node = mk
	for i := len(stack) - 1; i >= 0; i-- {
		switch p := stack[i].(type) {
		case *ast.ParenExpr:
			child = p
			continue
		case *ast.AssignStmt:
			for j, rhs := range p.Rhs {
				if rhs == child && len(p.Lhs) == len(p.Rhs) {
					return r.shortText(p.Lhs[j])
				}
			}
		case *ast.ValueSpec:
			for j, v := range p.Values {
				if v == child && len(p.Names) == len(p.Values) {
					return p.Names[j].Name
				}
			}
		case *ast.KeyValueExpr:
			if p.Value == child {
				return r.shortText(p.Key)
			}
		case *ast.ReturnStmt:
			return fn + " result"
		case *ast.CallExpr:
			return r.shortText(p.Fun) + " argument"
		}
		break
	}
	return "chan"
}

// rangeStmt turns `for v := range ch { ... }` into a three-clause loop of
// receives, which keeps break, continue, labels and the loop variable's
// scope (per iteration since Go 1.22, shared before, as range's is):
//
//	for _handoff_ch1, v, _handoff_ok1 := _handoff.Range(ch, N); _handoff_ok1; v, _handoff_ok1 = _handoff.Next(_handoff_ch1, v, N) { ... }
//
// ch is evaluated once, as range evaluates it. Next leaves v as it was
// when the channel is closed, as range does: before Go 1.22 the variable
// outlives the loop in the closures that captured it.
func (r *fileRewriter) rangeStmt(n *ast.RangeStmt, depth int) {
	s := r.site(n.For, OpRange, r.shortText(n.X))
	ch, ok := r.hidden("ch"), r.hidden("ok")
	rangeKw := r.off(n.Range)
	head := func(v string) string {
		if v == "_" {
			return fmt.Sprintf(", %d); %s; _, %s = %s.Recv2(%s, %d)", s, ok, ok, hooksName, ch, s)
		}
		return fmt.Sprintf(", %d); %s; %s, %s = %s.Next(%s, %s, %d)", s, ok, v, ok, hooksName, ch, v, s)
	}
	switch {
	case n.Key == nil:
		r.es.open(rangeKw, depth, fmt.Sprintf("%s, _, %s := ", ch, ok))
		r.es.replace(rangeKw, rangeKw+len("range"), hooksName+".Range(")
		r.es.close(r.off(n.X.End()), depth, head("_"))
	case n.Tok == token.DEFINE:
		key := r.text(n.Key)
		r.es.open(r.off(n.Key.Pos()), depth, ch+", ")
		r.es.close(r.off(n.Key.End()), depth, ", "+ok)
		r.es.replace(rangeKw, rangeKw+len("range"), hooksName+".Range(")
		r.es.close(r.off(n.X.End()), depth, head(key))
	default: // for k = range ch: assign each value to k at the top of the body
		key := r.es.apply(r.src, r.off(n.Key.Pos()), r.off(n.Key.End()))
		v := r.hidden("v")
		r.es.drop(r.off(n.Key.Pos()), r.off(n.Key.End()))
		r.es.replace(r.off(n.Key.Pos()), rangeKw+len("range"), fmt.Sprintf("%s, %s, %s := %s.Range(", ch, v, ok, hooksName))
		r.es.close(r.off(n.X.End()), depth, head(v))
		r.es.open(r.off(n.Body.Lbrace)+1, depth, fmt.Sprintf(" %s = %s;", key, v))
	}
}

// goStmt turns `go f(a, b)` into `go _handoff.Go(f, N)(a, b)`: f and its
// arguments are still evaluated by the parent, as the go statement does,
// and the function Go returns records the child's start and end around f.
func (r *fileRewriter) goStmt(n *ast.GoStmt, depth int, fn string) {
	fun := n.Call.Fun
	if b := r.builtin(fun); b != "" {
		r.skip(n.Pos(), "go with the built-in "+b+" is not instrumented: its goroutine appears unnamed, from its first event")
		return
	}
	targs := ""
	if inst, ok := r.inferredGeneric(fun); ok {
		// Go(f, N) takes f as a value: write the type arguments Go
		// inferred for the call.
		var names []string
		for i := 0; i < inst.TypeArgs.Len(); i++ {
			name, ok := r.typeName(inst.TypeArgs.At(i))
			if !ok {
				r.skip(n.Pos(), "go with a generic function whose inferred type arguments cannot be named in this file is not instrumented: its goroutine appears unnamed, from its first event")
				return
			}
			names = append(names, name)
		}
		targs = "[" + strings.Join(names, ", ") + "]"
	}
	name := r.shortText(fun)
	if lit, ok := ast.Unparen(fun).(*ast.FuncLit); ok {
		name = fmt.Sprintf("%s.func%d", fn, r.litIndex[lit])
	}
	s := r.site(n.Pos(), OpGo, name)
	r.es.open(r.off(fun.Pos()), depth, hooksName+".Go(")
	r.es.close(r.off(fun.End()), depth, fmt.Sprintf("%s, %d)", targs, s))
}

// waitGroupGo turns wg.Go(f) (Go 1.25) into wg.Go(_handoff.Go(f, N)):
// the goroutine WaitGroup.Go starts runs f wrapped as a go statement's
// function is, so the trace has its go event, its name and its end.
func (r *fileRewriter) waitGroupGo(call *ast.CallExpr, depth int, fn string) {
	if _, _, method := r.syncMethod(call); method != "WaitGroup.Go" || len(call.Args) != 1 {
		return
	}
	f := call.Args[0]
	name := r.shortText(f)
	if lit, ok := ast.Unparen(f).(*ast.FuncLit); ok {
		name = fmt.Sprintf("%s.func%d", fn, r.litIndex[lit])
	}
	s := r.site(call.Pos(), OpGo, name)
	r.es.open(r.off(f.Pos()), depth, hooksName+".Go(")
	r.es.close(r.off(f.End()), depth, fmt.Sprintf(", %d)", s))
}

// inferredGeneric returns the instance of the generic function fun names
// without its type arguments (they are inferred from the call), which
// cannot be passed as a value without them.
func (r *fileRewriter) inferredGeneric(fun ast.Expr) (types.Instance, bool) {
	var id *ast.Ident
	switch f := ast.Unparen(fun).(type) {
	case *ast.Ident:
		id = f
	case *ast.SelectorExpr:
		id = f.Sel
	default:
		return types.Instance{}, false
	}
	inst, ok := r.info.Instances[id]
	return inst, ok
}

// selectStmt turns a select into a switch on the case the hooks' Select
// chose, keeping the bodies where they are:
//
//	select {                       switch _handoff_c1, _handoff_c2 := _handoff.CaseRecv(a), _handoff.CaseSend(b, x); _handoff.Select(N, true, _handoff_c1, _handoff_c2) {
//	case v, ok := <-a:             case 1: v, ok := _handoff_c1.V, _handoff_c1.OK;
//	case b <- x:           →       case 2:
//	default:                       default:
//	}                              }
//
// The channels and the values to send are evaluated once, in source order,
// before anything else, as select evaluates them; a label on the select
// labels the switch, so break still leaves it. Select chooses as select
// does, at random among the ready cases (reflect.Select). A receive from a
// context's Done() is a CaseDone: the trace shows the wait's end without
// following the context's channel.
func (r *fileRewriter) selectStmt(n *ast.SelectStmt) {
	s := r.site(n.Pos(), OpSelect, "select")
	if len(n.Body.List) == 1 && n.Body.List[0].(*ast.CommClause).Comm == nil {
		return // select { default: ... } only runs its default
	}
	if len(n.Body.List) == 0 {
		// select {} waits forever: say so, then do it.
		r.es.open(r.off(n.Pos()), 0, fmt.Sprintf("%s.Block(%d); ", hooksName, s))
		return
	}
	var vars, inits []string
	hasDefault := false
	type clause struct {
		cc     *ast.CommClause
		head   string
		prefix string
	}
	var clauses []clause
	for _, st := range n.Body.List {
		cc := st.(*ast.CommClause)
		if cc.Comm == nil {
			hasDefault = true
			clauses = append(clauses, clause{cc: cc, head: "default:"})
			continue
		}
		k := len(vars) + 1
		c := r.hidden("c")
		vars = append(vars, c)
		cl := clause{cc: cc, head: fmt.Sprintf("case %d:", k)}
		switch comm := cc.Comm.(type) {
		case *ast.SendStmt:
			targs, ok := r.sendTypeArgs(comm.Chan, comm.Value)
			if !ok {
				r.skip(n.Pos(), "a select sending a value whose type differs from the channel's element type, which cannot be named in this file, is not instrumented")
				return
			}
			inits = append(inits, fmt.Sprintf("%s.CaseSend%s(%s, %s)", hooksName, targs, r.moved(comm.Chan), r.moved(comm.Value)))
		case *ast.ExprStmt:
			inits = append(inits, r.recvCase(comm.X))
		case *ast.AssignStmt:
			inits = append(inits, r.recvCase(comm.Rhs[0]))
			lhs := make([]string, len(comm.Lhs))
			for i, l := range comm.Lhs {
				lhs[i] = r.moved(l)
			}
			rhs := c + ".V"
			if len(lhs) == 2 {
				rhs += ", " + c + ".OK"
				if t := r.info.TypeOf(comm.Lhs[1]); comm.Tok == token.ASSIGN && t != nil && !types.Identical(t, types.Typ[types.Bool]) {
					rhs += " == true" // the untyped bool a named bool type takes
				}
			}
			cl.prefix = fmt.Sprintf(" %s %s %s;", strings.Join(lhs, ", "), comm.Tok, rhs)
		}
		clauses = append(clauses, cl)
	}
	// A case written over several lines moves to the switch's line: its
	// text goes there on one line, and its newlines stay where it was,
	// after its new head, so that every line keeps its number.
	for _, cl := range clauses {
		if why := r.unflattenable(cl.cc); why != "" {
			r.skip(cl.cc.Pos(), "a select with a case over several lines "+why+" is not instrumented")
			return
		}
	}
	for _, cl := range clauses {
		lo, hi := r.off(cl.cc.Case), r.off(cl.cc.Colon)+1
		cl.prefix = strings.ReplaceAll(cl.prefix, "\n", " ") + strings.Repeat("\n", strings.Count(string(r.src[lo:hi]), "\n"))
		r.es.drop(lo, hi)
		r.es.replace(lo, hi, cl.head+cl.prefix)
	}
	for i := range inits {
		inits[i] = strings.ReplaceAll(inits[i], "\n", " ")
	}
	args := append([]string{fmt.Sprint(s), fmt.Sprint(hasDefault)}, vars...)
	head := fmt.Sprintf("switch %s := %s; %s.Select(%s) {", strings.Join(vars, ", "), strings.Join(inits, ", "), hooksName, strings.Join(args, ", "))
	r.es.replace(r.off(n.Pos()), r.off(n.Body.Lbrace)+1, head)
}

// sendTypeArgs returns the type arguments a hook that sends value on ch
// needs written out: none when Go infers them (the value's type is the
// element type, or the value is untyped), else [E] with the element type
// E, as when a concrete value is sent on a channel of an interface or a
// chan on a channel of receive-only channels (Go does not infer E from a
// value merely assignable to it). ok is false when E cannot be written in
// this file: a type of a package it does not import, or an unexported
// one of another package.
func (r *fileRewriter) sendTypeArgs(ch, value ast.Expr) (targs string, ok bool) {
	ct, vt := r.info.TypeOf(ch), r.info.TypeOf(value)
	if ct == nil || vt == nil {
		return "", true
	}
	c := coreChan(ct)
	if c == nil {
		return "", true
	}
	if b, isBasic := vt.(*types.Basic); isBasic && b.Info()&types.IsUntyped != 0 {
		return "", true
	}
	if types.Identical(vt, c.Elem()) {
		return "", true
	}
	name, ok := r.typeName(c.Elem())
	if !ok {
		return "", false
	}
	return "[" + name + "]", true
}

// typeName returns t as this file can write it, or ok false when it
// cannot: a type of a package the file does not import, or an unexported
// one of another package.
func (r *fileRewriter) typeName(t types.Type) (name string, ok bool) {
	writable := true
	name = types.TypeString(t, func(p *types.Package) string {
		if p == r.pkg() {
			return ""
		}
		for _, imp := range r.file.Imports {
			if strings.Trim(imp.Path.Value, "`\"") != p.Path() {
				continue
			}
			if imp.Name != nil {
				if imp.Name.Name == "_" || imp.Name.Name == "." {
					break
				}
				return imp.Name.Name
			}
			return p.Name()
		}
		writable = false
		return p.Name()
	})
	if !writable || hasForeignUnexported(t, r.pkg()) {
		return "", false
	}
	return name, true
}

// pkg is the package of the file being rewritten: that of the first
// object the package defines (the package clause's name defines none).
func (r *fileRewriter) pkg() *types.Package {
	if r.typesPkg == nil {
		for _, obj := range r.info.Defs {
			if obj != nil && obj.Pkg() != nil {
				r.typesPkg = obj.Pkg()
				break
			}
		}
	}
	return r.typesPkg
}

// hasForeignUnexported reports whether t names an unexported type of a
// package other than pkg, which no code of pkg can write.
func hasForeignUnexported(t types.Type, pkg *types.Package) bool {
	found := false
	var visit func(t types.Type, depth int)
	visit = func(t types.Type, depth int) {
		if found || depth > 10 {
			return
		}
		switch t := t.(type) {
		case *types.Named:
			if o := t.Obj(); o.Pkg() != nil && o.Pkg() != pkg && !o.Exported() {
				found = true
			}
			for i := 0; i < t.TypeArgs().Len(); i++ {
				visit(t.TypeArgs().At(i), depth+1)
			}
		case *types.Pointer:
			visit(t.Elem(), depth+1)
		case *types.Slice:
			visit(t.Elem(), depth+1)
		case *types.Array:
			visit(t.Elem(), depth+1)
		case *types.Map:
			visit(t.Key(), depth+1)
			visit(t.Elem(), depth+1)
		case *types.Chan:
			visit(t.Elem(), depth+1)
		case *types.Struct:
			for i := 0; i < t.NumFields(); i++ {
				if f := t.Field(i); f.Pkg() != pkg && !f.Exported() {
					found = true
				}
				visit(t.Field(i).Type(), depth+1)
			}
		case *types.Signature:
			for _, tu := range []*types.Tuple{t.Params(), t.Results()} {
				for i := 0; i < tu.Len(); i++ {
					visit(tu.At(i).Type(), depth+1)
				}
			}
		}
	}
	visit(t, 0)
	return found
}

// unflattenable says why the case cc, written over several lines, cannot
// be written on one: a line comment in it would swallow the rest of the
// line, a raw string over several lines would change. "" when it can.
func (r *fileRewriter) unflattenable(cc *ast.CommClause) string {
	if cc.Comm == nil || r.line(cc.Case) == r.line(cc.Colon) {
		return ""
	}
	for _, cg := range r.file.Comments {
		for _, c := range cg.List {
			if c.Pos() >= cc.Case && c.Pos() < cc.Colon && strings.HasPrefix(c.Text, "//") {
				return "with a line comment in it"
			}
		}
	}
	why := ""
	ast.Inspect(cc.Comm, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING && strings.Contains(lit.Value, "\n") {
			why = "with a raw string over several lines in it"
		}
		return why == ""
	})
	return why
}

// recvCase is the hooks' case for the receive e of a select's case.
func (r *fileRewriter) recvCase(e ast.Expr) string {
	u, ok := ast.Unparen(e).(*ast.UnaryExpr)
	if !ok || u.Op != token.ARROW {
		return r.moved(e) // not Go
	}
	hook := "CaseRecv"
	if r.isContextDone(u.X) {
		hook = "CaseDone"
	}
	return fmt.Sprintf("%s.%s(%s)", hooksName, hook, r.moved(u.X))
}

// moved returns e's text with the edits inside it, to be written
// elsewhere.
func (r *fileRewriter) moved(e ast.Node) string {
	return r.es.apply(r.src, r.off(e.Pos()), r.off(e.End()))
}

// isContextDone reports whether e calls the Done method of a
// context.Context (or of a type with Context's methods).
func (r *fileRewriter) isContextDone(e ast.Expr) bool {
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	if !ok || len(call.Args) != 0 {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "Done" {
		return false
	}
	t := r.info.TypeOf(sel.X)
	if t == nil {
		return false
	}
	ms := types.NewMethodSet(t)
	if _, isPtr := t.(*types.Pointer); !isPtr && !types.IsInterface(t) {
		ms = types.NewMethodSet(types.NewPointer(t))
	}
	for _, m := range []string{"Deadline", "Done", "Err", "Value"} {
		if ms.Lookup(nil, m) == nil {
			return false
		}
	}
	return true
}

// syncHooks maps the methods of sync's types that the hooks record to the
// hook that does each, and what the site does.
var syncHooks = map[string]struct {
	hook string
	op   Op
}{
	"Mutex.Lock":       {"Lock", OpLock},
	"Mutex.TryLock":    {"TryLock", OpLock},
	"Mutex.Unlock":     {"Unlock", OpUnlock},
	"RWMutex.Lock":     {"Lock", OpLock},
	"RWMutex.TryLock":  {"TryLock", OpLock},
	"RWMutex.Unlock":   {"Unlock", OpUnlock},
	"RWMutex.RLock":    {"RLock", OpLock},
	"RWMutex.TryRLock": {"TryRLock", OpLock},
	"RWMutex.RUnlock":  {"RUnlock", OpUnlock},
	"WaitGroup.Wait":   {"Wait", OpWait},
}

// syncMethod returns, when call calls a method of one of package sync's
// types, its selector, its selection and its name as "WaitGroup.Go";
// method is "" for any other call.
func (r *fileRewriter) syncMethod(call *ast.CallExpr) (sel *ast.SelectorExpr, selection *types.Selection, method string) {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return nil, nil, ""
	}
	selection = r.info.Selections[sel]
	if selection == nil || selection.Kind() != types.MethodVal {
		return nil, nil, ""
	}
	fn, ok := selection.Obj().(*types.Func)
	if !ok || fn.Pkg() == nil || fn.Pkg().Path() != "sync" {
		return nil, nil, ""
	}
	recv := fn.Type().(*types.Signature).Recv()
	if recv == nil {
		return nil, nil, ""
	}
	rt := recv.Type()
	if p, ok := rt.(*types.Pointer); ok {
		rt = p.Elem()
	}
	named, ok := rt.(*types.Named)
	if !ok {
		return nil, nil, ""
	}
	return sel, selection, named.Obj().Name() + "." + fn.Name()
}

// syncCall turns mu.Lock() into _handoff.Lock(&mu, N), and the like for
// the methods of syncHooks, also when the mutex is an embedded field
// (s.Lock() locks &s.Mutex).
func (r *fileRewriter) syncCall(call *ast.CallExpr) {
	sel, selection, method := r.syncMethod(call)
	if len(call.Args) != 0 {
		return
	}
	h, ok := syncHooks[method]
	if !ok {
		return
	}
	// The path to the mutex: the receiver, then the embedded fields the
	// method was promoted through.
	expr := "(" + r.moved(sel.X) + ")"
	t := r.info.TypeOf(sel.X)
	index := selection.Index()
	mutex := r.objectOf(sel.X)
	for _, i := range index[:len(index)-1] {
		if p, ok := t.Underlying().(*types.Pointer); ok {
			t = p.Elem()
		}
		st, ok := t.Underlying().(*types.Struct)
		if !ok {
			return
		}
		f := st.Field(i)
		expr += "." + f.Name()
		t = f.Type()
		mutex = f
	}
	if !strings.HasPrefix(method, "WaitGroup.") && mutex != nil && r.condLockers()[mutex] {
		// Cond.Wait unlocks and locks it again, unseen: the trace would
		// have two goroutines hold it at once.
		r.skip(call.Pos(), "a mutex that is a sync.Cond's Locker is not instrumented: Cond.Wait unlocks and relocks it where the hooks cannot see")
		return
	}
	if _, isPtr := t.Underlying().(*types.Pointer); !isPtr {
		expr = "&" + expr
	}
	s := r.site(call.Pos(), h.op, r.shortText(sel.X))
	r.es.drop(r.off(call.Pos()), r.off(call.End()))
	r.es.replace(r.off(call.Pos()), r.off(call.End()), fmt.Sprintf("%s.%s(%s, %d)", hooksName, h.hook, expr, s))
}

// objectOf returns the variable or field e names (mu, s.mu, (mu)), or
// nil.
func (r *fileRewriter) objectOf(e ast.Expr) types.Object {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		return r.info.ObjectOf(e)
	case *ast.SelectorExpr:
		if sel := r.info.Selections[e]; sel != nil && sel.Kind() == types.FieldVal {
			return sel.Obj()
		}
		return r.info.ObjectOf(e.Sel)
	case *ast.StarExpr:
		return r.objectOf(e.X)
	}
	return nil
}

// condLockers returns the variables and fields of the package whose
// address is a sync.Cond's Locker, by sync.NewCond(&mu) or
// sync.Cond{L: &mu}, found once per file in the package's type
// information. A Locker reached otherwise (a pointer variable, another
// package) is not found.
func (r *fileRewriter) condLockers() map[types.Object]bool {
	if r.conds != nil {
		return r.conds
	}
	r.conds = map[types.Object]bool{}
	add := func(arg ast.Expr) {
		if u, ok := ast.Unparen(arg).(*ast.UnaryExpr); ok && u.Op == token.AND {
			arg = u.X
		}
		if obj := r.objectOf(arg); obj != nil {
			r.conds[obj] = true
		}
	}
	for e := range r.info.Types {
		switch e := e.(type) {
		case *ast.CallExpr:
			sel, ok := ast.Unparen(e.Fun).(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "NewCond" || len(e.Args) != 1 {
				continue
			}
			if fn, ok := r.info.ObjectOf(sel.Sel).(*types.Func); ok && fn.Pkg() != nil && fn.Pkg().Path() == "sync" {
				add(e.Args[0])
			}
		case *ast.CompositeLit:
			named, ok := r.info.TypeOf(e).(*types.Named)
			if !ok || named.Obj().Pkg() == nil || named.Obj().Pkg().Path() != "sync" || named.Obj().Name() != "Cond" {
				continue
			}
			for _, el := range e.Elts {
				if kv, ok := el.(*ast.KeyValueExpr); ok {
					if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "L" {
						add(kv.Value)
					}
				}
			}
		}
	}
	return r.conds
}
