package scenarios

import "github.com/handoff-viz/handoff/tracer"

var _ = register(&Scenario{
	Name:    "use-after-send",
	Summary: "a sender changes a value after sending it; reported as use-after-send",
	Description: "Rust's compiler refuses to use a value after `send` moved it; Go compiles it. Here main sends a message, " +
		"the receiver prints it, and main then changes the message it no longer owns. handoff reports use-after-send. " +
		"(The receiver is joined first so this run has no data race; in general it would.)",
	Expect: []string{tracer.RuleUseAfterSend},
	Run: func(g *tracer.G, env *Env) {
		ch := tracer.NewChan[*tracer.Value[string]](g, "messages", 1)
		receiver := g.Go("receiver", func(g *tracer.G) {
			msg, _ := ch.Recv(g)
			env.Step()
			env.Printf("received %s\n", msg.Get(g))
		})
		msg := tracer.Make(g, "message", "hello")
		ch.Send(g, msg)
		receiver.Join(g)
		env.Step()
		msg.Set(g, "changed after the send") // the bug
	},
})
