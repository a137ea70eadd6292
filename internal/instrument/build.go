package instrument

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/version"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/tools/go/packages"
)

// Options says what to build.
type Options struct {
	Dir      string   // the directory the go command runs in (the user's current directory)
	Patterns []string // the packages; default "."
	Work     string   // a private directory for the rewritten files, the hooks and the binary
	Tags     string   // -tags
	Race     bool     // -race
	Output   string   // the binary; default Work/prog
	// Test builds the packages' test binaries (go test -c) instead, with
	// their test files instrumented too: Build.Tests lists them.
	Test bool
	// EmbedSites writes the site table into the binary, which writes it
	// into its records: a binary of handoff build, whose record file must
	// read on its own.
	EmbedSites bool
}

// A Build is an instrumented binary and what its records mean.
type Build struct {
	Binary     string
	ModulePath string
	ModuleDir  string
	Sites      []Site // a record's site number indexes this; Sites[0] is none
	Files      int    // files rewritten
	Packages   int    // packages of the main module looked at
	Skips      []Skip // constructs left as they were, and why
	Tests      []TestBinary
}

// A TestBinary is the instrumented test binary of one package.
type TestBinary struct {
	ImportPath string
	Dir        string // the package's directory, where go test runs its tests
	Binary     string
}

// minGoVersion is the oldest go line a module may have: the rewritten
// files call generic hooks, which need Go 1.18.
const minGoVersion = "go1.18"

// Instrument rewrites the packages of the main module that opts.Patterns
// need, adds the hooks package through go.mod's overlay, and builds the
// binary. Nothing on disk outside opts.Work changes.
func Instrument(ctx context.Context, opts Options) (*Build, error) {
	if len(opts.Patterns) == 0 {
		opts.Patterns = []string{"."}
	}
	env := append(os.Environ(), "GOWORK=off")
	buildFlags := []string{}
	if opts.Tags != "" {
		buildFlags = append(buildFlags, "-tags="+opts.Tags)
	}
	// Which packages the program is made of, and which are the module's.
	cfg := &packages.Config{Context: ctx, Dir: opts.Dir, Env: env, BuildFlags: buildFlags, Tests: opts.Test,
		Mode: packages.NeedName | packages.NeedModule | packages.NeedImports | packages.NeedDeps | packages.NeedFiles}
	roots, err := packages.Load(cfg, opts.Patterns...)
	if err != nil {
		return nil, goError(err)
	}
	if err := loadErrors(roots); err != nil {
		return nil, err
	}
	var mainPkgs []string
	var mod *packages.Module
	packages.Visit(roots, nil, func(p *packages.Package) {
		if p.Module != nil && p.Module.Main && !slices.Contains(mainPkgs, p.PkgPath) {
			mainPkgs = append(mainPkgs, p.PkgPath)
			mod = p.Module
		}
	})
	if mod == nil {
		return nil, fmt.Errorf("%s: not in a Go module (handoff trace builds packages of the module in the current directory)", strings.Join(opts.Patterns, " "))
	}
	goVersion := "go" + mod.GoVersion
	if mod.GoVersion == "" || version.Compare(goVersion, minGoVersion) < 0 {
		return nil, fmt.Errorf("%s: the go line says %q; instrumented code needs 1.18 or later (generics)", mod.GoMod, mod.GoVersion)
	}
	slices.Sort(mainPkgs)

	// Their syntax and types.
	cfg = &packages.Config{Context: ctx, Dir: opts.Dir, Env: env, BuildFlags: buildFlags, Tests: opts.Test,
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedCompiledGoFiles | packages.NeedSyntax |
			packages.NeedTypes | packages.NeedTypesInfo | packages.NeedModule}
	pkgs, err := packages.Load(cfg, mainPkgs...)
	if err != nil {
		return nil, goError(err)
	}
	if err := loadErrors(pkgs); err != nil {
		return nil, err
	}

	b := &Build{ModulePath: mod.Path, ModuleDir: mod.Dir, Packages: len(pkgs)}
	var ss sites
	replace := map[string]string{}
	srcDir := filepath.Join(opts.Work, "src")
	done := map[string]bool{} // a package's files are also its test variant's
	for _, p := range pkgs {
		for i, f := range p.Syntax {
			name := p.CompiledGoFiles[i]
			if done[name] {
				continue
			}
			done[name] = true
			if !strings.HasSuffix(name, ".go") || !strings.HasPrefix(name, mod.Dir+string(filepath.Separator)) {
				continue // cgo's generated files, and files from elsewhere
			}
			if importsC(f.Imports) {
				b.Skips = append(b.Skips, Skip{At: name, Why: "a cgo file is not instrumented"})
				continue
			}
			src, err := os.ReadFile(name)
			if err != nil {
				return nil, err
			}
			rel, _ := filepath.Rel(mod.Dir, name)
			out, changed, skips := rewriteFile(p.Fset, f, src, p.TypesInfo, &ss, filepath.ToSlash(rel))
			b.Skips = append(b.Skips, skips...)
			if !changed {
				continue
			}
			dst := filepath.Join(srcDir, rel)
			if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
				return nil, err
			}
			if err := os.WriteFile(dst, []byte(out), 0o600); err != nil {
				return nil, err
			}
			replace[name] = dst
			b.Files++
		}
	}
	b.Sites = ss.list
	if len(b.Sites) == 0 {
		b.Sites = []Site{{}}
	}

	if opts.EmbedSites {
		table, err := json.Marshal(b.Sites)
		if err != nil {
			return nil, err
		}
		for _, p := range pkgs {
			if p.Name != "main" || p.Dir == "" || strings.Contains(p.ID, " [") {
				continue
			}
			name := filepath.Join(p.Dir, "zz_handoff_sites.go")
			dst := filepath.Join(srcDir, fmt.Sprintf("sites-%d.go", len(replace)))
			src := fmt.Sprintf("package main\n\nimport %s %q\n\nfunc init() { %s.Sites(%q) }\n", hooksName, HooksPath, hooksName, table)
			if err := os.MkdirAll(srcDir, 0o700); err != nil {
				return nil, err
			}
			if err := os.WriteFile(dst, []byte(src), 0o600); err != nil {
				return nil, err
			}
			replace[name] = dst
		}
	}

	// The hooks, as a module of their own, required by an overlaid go.mod.
	hooksDir := filepath.Join(opts.Work, "hooks")
	if err := writeHooks(hooksDir, mod.GoVersion); err != nil {
		return nil, err
	}
	goMod, err := os.ReadFile(mod.GoMod)
	if err != nil {
		return nil, err
	}
	newGoMod := fmt.Sprintf("%s\nrequire %s v0.0.0\n\nreplace %s => %s\n", goMod, HooksPath, HooksPath, hooksDir)
	modFile := filepath.Join(opts.Work, "go.mod")
	if err := os.WriteFile(modFile, []byte(newGoMod), 0o600); err != nil {
		return nil, err
	}
	replace[mod.GoMod] = modFile
	overlay, err := json.Marshal(map[string]any{"Replace": replace})
	if err != nil {
		return nil, err
	}
	overlayFile := filepath.Join(opts.Work, "overlay.json")
	if err := os.WriteFile(overlayFile, overlay, 0o600); err != nil {
		return nil, err
	}

	if opts.Test {
		return b, b.buildTests(ctx, opts, roots, overlayFile, buildFlags, env, mod.Dir)
	}
	b.Binary = opts.Output
	if b.Binary == "" {
		b.Binary = filepath.Join(opts.Work, "prog")
	}
	args := []string{"build", "-overlay", overlayFile, "-o", b.Binary}
	args = append(args, buildFlags...)
	if opts.Race {
		args = append(args, "-race")
	}
	if vendored(mod.Dir) {
		args = append(args, "-mod=mod") // the hooks module is not in vendor/modules.txt
	}
	args = append(args, opts.Patterns...)
	if err := goCommand(ctx, opts.Dir, env, args); err != nil {
		return nil, err
	}
	return b, nil
}

// buildTests builds the test binary of each root package that has tests,
// one go test -c per package, into Work/tests.
func (b *Build) buildTests(ctx context.Context, opts Options, roots []*packages.Package, overlay string, buildFlags, env []string, modDir string) error {
	dir := filepath.Join(opts.Work, "tests")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, p := range roots {
		if strings.Contains(p.ID, " [") || strings.HasSuffix(p.ID, ".test") || seen[p.PkgPath] || p.Module == nil || !p.Module.Main {
			continue // a test variant, or the generated test main
		}
		seen[p.PkgPath] = true
		hasTests := false
		for _, q := range roots {
			// go list names a package's test variants "p [p.test]" and
			// "p_test [p.test]".
			if strings.HasSuffix(q.ID, " ["+p.PkgPath+".test]") {
				hasTests = true
			}
		}
		if !hasTests {
			continue
		}
		bin := filepath.Join(dir, fmt.Sprintf("%d-%s.test", len(b.Tests)+1, p.Name))
		args := []string{"test", "-c", "-overlay", overlay, "-o", bin}
		args = append(args, buildFlags...)
		if opts.Race {
			args = append(args, "-race")
		}
		if vendored(modDir) {
			args = append(args, "-mod=mod")
		}
		args = append(args, p.PkgPath)
		if err := goCommand(ctx, opts.Dir, env, args); err != nil {
			return err
		}
		if _, err := os.Stat(bin); err != nil {
			continue // no test files after all
		}
		b.Tests = append(b.Tests, TestBinary{ImportPath: p.PkgPath, Dir: p.Dir, Binary: bin})
	}
	return nil
}

func vendored(modDir string) bool {
	_, err := os.Stat(filepath.Join(modDir, "vendor", "modules.txt"))
	return err == nil
}

// goCommand runs the go command; its error says what the go command said.
func goCommand(ctx context.Context, dir string, env, args []string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir, cmd.Env = dir, env
	var errBuf strings.Builder
	cmd.Stderr = &errBuf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building the instrumented program (go %s): %v\n%s", strings.Join(args, " "), err, strings.TrimSpace(errBuf.String()))
	}
	return nil
}

// loadErrors gathers the errors go/packages found in pkgs and their
// dependencies: a program that does not build is reported as the go
// command would.
func loadErrors(pkgs []*packages.Package) error {
	var msgs []string
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		for _, e := range p.Errors {
			msgs = append(msgs, strings.TrimPrefix(e.Error(), "-: "))
		}
	})
	if len(msgs) == 0 {
		return nil
	}
	if len(msgs) > 10 {
		msgs = append(msgs[:10], fmt.Sprintf("and %d more", len(msgs)-10))
	}
	return errors.New(strings.Join(msgs, "\n"))
}

// goError is what the go command said, without go/packages' wrapping.
func goError(err error) error {
	msg := err.Error()
	if _, after, ok := strings.Cut(msg, "stderr: "); ok {
		msg = after
	}
	return errors.New(strings.TrimSpace(msg))
}

func importsC(specs []*ast.ImportSpec) bool {
	for _, s := range specs {
		if s.Path.Value == `"C"` {
			return true
		}
	}
	return false
}

// writeHooks writes the hooks module into dir: the package's source, and a
// go.mod whose go line is the user's, so that requiring it asks nothing of
// the user's module.
func writeHooks(dir, goVersion string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	err := fs.WalkDir(hooksSource, hooksSourceDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := d.Name()
		if strings.HasSuffix(name, "_test.go") || !(strings.HasSuffix(name, ".go") || strings.HasSuffix(name, ".s")) {
			return nil
		}
		if name == "reader.go" {
			return nil // handoff reads the records; the program only writes them
		}
		data, err := hooksSource.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name), data, 0o600)
	})
	if err != nil {
		return fmt.Errorf("writing the hooks: %w", err)
	}
	mod := fmt.Sprintf("module %s\n\ngo %s\n", HooksPath, goVersion)
	return os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o600)
}
