// Package web serves handoff's browser view: a page that animates who owns
// each value, live while a scenario or a traced program runs, and replays
// trace files with play, pause, step and a scrubber.
//
// The package knows nothing of scenarios or of how traces are drawn as SVG:
// like cmd/trace's emitter, it is handed what it needs through [Config], a
// struct of data and functions, and cmd/handoff wires the rest of the module
// in. The page itself is plain HTML, CSS and JavaScript embedded with
// go:embed, so `go run` needs no build step and nothing downloaded.
//
// # Endpoints
//
//	GET  /             the page (and its assets under /static/)
//	GET  /ws           the viewer's WebSocket: live runs and named traces
//	GET  /ingest       a traced program's WebSocket (see package tracer/remote)
//	POST /api/parse    a trace file, checked; the events come back as JSON
//	POST /api/svg      a trace file; the SVG drawn by Config.RenderSVG
//	                   (?theme=light, dark or print: the page's theme)
//
// # Each viewer's view
//
// The server runs one live session at a time, and says whose it is: hello
// gives each page its viewer number, a live session names the viewer who
// started it, and the page shows only its own runs, offering the others.
// A link's scenario is a recording for one viewer alone (the record
// request, at full speed, bounded in number, events and time), so that
// opening a link disturbs no one's live run. The page reads and writes the
// links itself (docs/web.md lists their parameters).
//
// # Many viewers, bad peers
//
// Every WebSocket connection has one writer goroutine and a bounded queue
// of messages. Broadcasting never waits: a viewer whose queue is full is
// disconnected and counted (the page reconnects and gets the whole run so
// far in one message), so a stalled browser never slows the others or the
// run. Request bodies are limited to Config.MaxUpload bytes, and must keep
// coming (64 KiB every 10 s) or the request is cut. No request names a
// file: the only trace files served are the ones in Config.Traces, loaded
// by the caller before the server starts.
//
// # Who may use it
//
// Before any handler runs, every request's Host must be one of
// Config.Hosts (421 otherwise: DNS rebinding), its Origin, if any, one of
// them too (403: another site's page), and it must carry Config.Token (403),
// in the cookie that a first visit to /?token=… sets, or as a bearer token.
// Empty Hosts and Token leave those checks out, for tests.
package web
