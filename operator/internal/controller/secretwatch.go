package controller

import (
	"context"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// secretWatches keeps one watch on the Secrets of each unit namespace and reconciles the unit when
// one changes: a deleted receipt signing key is reported at once, and rotated bKash credentials reach
// the API at once (bKash refuses the old password as soon as it issues a new one; until the API has
// it, the unit's gifts fail).
//
// The operator may list Secrets only inside unit namespaces (it has no cluster-wide Secret access), so
// one cluster-wide watch is not possible; the manager's cache cannot add namespaces while running, so
// each namespace gets a small informer of its own. They watch metadata only: no Secret's contents are
// kept in memory, and the reconcile reads the one Secret it needs.
type secretWatches struct {
	client metadata.Interface

	mu      sync.Mutex
	ctx     context.Context // the controller's, set when its sources start
	queue   workqueue.TypedRateLimitingInterface[reconcile.Request]
	running map[string]context.CancelFunc // by namespace
	pending map[string]string             // namespace → unit, asked for before the source started
	stopped bool
	wg      sync.WaitGroup
}

func newSecretWatches(client metadata.Interface) *secretWatches {
	return &secretWatches{client: client, running: map[string]context.CancelFunc{}, pending: map[string]string{}}
}

// source is the controller's view of the watches: starting it hands over the work queue.
func (w *secretWatches) source() source.Source {
	return source.Func(func(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.ctx, w.queue = ctx, q
		for ns, unit := range w.pending {
			w.startLocked(ns, unit)
		}
		clear(w.pending)
		return nil
	})
}

// watch makes sure the Secrets of namespace ns (unit's) are watched.
func (w *secretWatches) watch(ns, unit string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.running[ns]; ok {
		return
	}
	if w.ctx == nil {
		w.pending[ns] = unit
		return
	}
	w.startLocked(ns, unit)
}

func (w *secretWatches) startLocked(ns, unit string) {
	if w.stopped || w.ctx.Err() != nil {
		return
	}
	ctx, cancel := context.WithCancel(w.ctx)
	w.running[ns] = cancel
	inf := metadatainformer.NewFilteredMetadataInformer(w.client, corev1.SchemeGroupVersion.WithResource("secrets"), ns, 0, toolscache.Indexers{}, nil).Informer()
	req := reconcile.Request{NamespacedName: types.NamespacedName{Name: unit}}
	q := w.queue
	enqueue := func(any) { q.Add(req) }
	_, _ = inf.AddEventHandler(toolscache.ResourceEventHandlerDetailedFuncs{
		// The first list only shows what the reconcile that started the watch has just seen.
		AddFunc:    func(obj any, initial bool) { enqueueUnlessInitial(enqueue, obj, initial) },
		UpdateFunc: func(_, obj any) { enqueue(obj) },
		DeleteFunc: enqueue,
	})
	w.wg.Go(func() { inf.RunWithContext(ctx) })
}

func enqueueUnlessInitial(enqueue func(any), obj any, initial bool) {
	if !initial {
		enqueue(obj)
	}
}

// forget stops watching namespace ns (its unit is gone).
func (w *secretWatches) forget(ns string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.pending, ns)
	if cancel, ok := w.running[ns]; ok {
		cancel()
		delete(w.running, ns)
	}
}

// Start implements manager.Runnable: at shutdown it stops every watch and waits for them.
func (w *secretWatches) Start(ctx context.Context) error {
	<-ctx.Done()
	w.mu.Lock()
	w.stopped = true
	for ns, cancel := range w.running {
		cancel()
		delete(w.running, ns)
	}
	w.mu.Unlock()
	w.wg.Wait()
	return nil
}
