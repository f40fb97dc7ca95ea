// Package produce writes the workload's orders to Kafka as Confluent Avro.
package produce

import (
	"errors"
	"fmt"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/gonnect/gonnect/internal/workload"
	"github.com/gonnect/gonnect/schemas/converters"
)

// Orders writes orders [0, n) of the seed's sequence to topic as Confluent
// Avro (the schema registered under <topic>-value), keyed by order id.
// Record timestamps stay "now": the orders' own dates are months old and
// would fall to the topic's time-based retention.
func Orders(bootstrap, registryURL, topic string, n int, seed uint64) error {
	return OrdersAs(bootstrap, registryURL, topic, n, seed, workload.CreatedAtTimestamp)
}

// OrdersAs is Orders with created_at carried as the variant says.
func OrdersAs(bootstrap, registryURL, topic string, n int, seed uint64, createdAt workload.CreatedAt) error {
	conv := &converters.AvroConverter{}
	if err := conv.Configure(map[string]string{"schema.registry.url": registryURL}, false); err != nil {
		return err
	}
	p, err := kafka.NewProducer(&kafka.ConfigMap{"bootstrap.servers": bootstrap, "linger.ms": 20, "batch.size": 1 << 20,
		"go.delivery.reports": false, "enable.idempotence": true, "compression.type": "lz4"})
	if err != nil {
		return fmt.Errorf("creating producer: %w", err)
	}
	defer p.Close()
	g := workload.Generator{Seed: seed}
	for i := range uint64(n) {
		o := g.Order(i)
		val, err := conv.FromConnect(topic, createdAt.Schema(), o.StructAs(createdAt))
		if err != nil {
			return err
		}
		msg := &kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny}, Key: []byte(o.OrderID), Value: val}
		for {
			err := p.Produce(msg, nil)
			var kerr kafka.Error
			if err == nil {
				break
			}
			if !errors.As(err, &kerr) || kerr.Code() != kafka.ErrQueueFull {
				return fmt.Errorf("producing order %d to %s: %w", i, topic, err)
			}
			p.Flush(100)
		}
	}
	if left := p.Flush(120000); left > 0 {
		return fmt.Errorf("%d orders not delivered to %s", left, topic)
	}
	return nil
}
