package task

import (
	"context"
	"time"

	"github.com/gonnect/gonnect/worker/entities"
)

// Listener is how a runner reports its task's state; the worker's
// runtime implements it.
type Listener interface {
	OnRunning(id entities.TaskID)
	OnPause(id entities.TaskID)
	OnResume(id entities.TaskID)
	OnFailure(id entities.TaskID, err error)
	// OnTopic is called the first time the task uses a topic.
	OnTopic(id entities.TaskID, topic string)
}

type finalKey struct{}

// FinalContext is the context for a task runner's work after its Run
// context has ended (the final offset commit or flush). It ends when the
// worker abandons the task: task.shutdown.graceful.timeout.ms after the
// stop began. Outside a runtime (a runner driven directly) it lasts 30s.
func FinalContext(runCtx context.Context) (context.Context, context.CancelFunc) {
	if final, ok := runCtx.Value(finalKey{}).(context.Context); ok {
		return context.WithCancel(final)
	}
	return context.WithTimeout(context.WithoutCancel(runCtx), 30*time.Second)
}

// WithFinalContext gives a runner's Run context the context its final work
// (FinalContext) runs under; the worker ends final when it abandons the task.
func WithFinalContext(runCtx, final context.Context) context.Context {
	return context.WithValue(runCtx, finalKey{}, final)
}
