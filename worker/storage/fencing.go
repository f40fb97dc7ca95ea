package storage

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// fenceTxnTimeoutMillis is the transaction timeout the fencing requests
// carry (the Java admin client's default API timeout).
const fenceTxnTimeoutMillis = 60000

// FenceProducers fences out the transactional producers with the given ids,
// as the Java admin client's fenceProducers does: an InitProducerId for each
// id bumps its epoch at its transaction coordinator, so an older producer's
// next write fails.
func FenceProducers(ctx context.Context, brokers []string, opts []kgo.Opt, ids []string) error {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(brokers...)}, opts...)...)
	if err != nil {
		return fmt.Errorf("creating the client that fences producers: %w", err)
	}
	defer cl.Close()
	for _, id := range ids {
		req := kmsg.NewPtrInitProducerIDRequest()
		req.TransactionalID = &id
		req.TransactionTimeoutMillis = fenceTxnTimeoutMillis
		req.ProducerID, req.ProducerEpoch = -1, -1
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return fmt.Errorf("fencing transactional id %s: %w", id, err)
		}
		if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
			return fmt.Errorf("fencing transactional id %s: %w", id, err)
		}
	}
	return nil
}
