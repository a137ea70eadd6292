package scenarios

import "github.com/handoff-viz/handoff/tracer"

var _ = register(&Scenario{
	Name:    "channel-handoff",
	Summary: "one goroutine sends \"ready\", main receives it",
	Description: "`tx.send(String::from(\"ready\"))` then `rx.recv()`: the sender owns the string, the send moves it into the " +
		"channel, and the receiver becomes the new owner when recv returns. A send is a handoff, not a shared mailbox.",
	Run: func(g *tracer.G, env *Env) {
		ch := tracer.NewChan[*tracer.Value[string]](g, "channel", 0)
		env.Step()
		h := g.Go("sender", func(g *tracer.G) {
			msg := tracer.Make(g, "message", "ready")
			env.Step()
			ch.Send(g, msg)
		})
		msg, _ := ch.Recv(g)
		env.Step()
		env.Printf("%s\n", msg.Get(g))
		h.Join(g)
	},
})
