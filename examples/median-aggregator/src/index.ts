import { aggregators } from '@shrinkray/ensemble';
import { medianAggregator } from './median.js';

// Importing this package registers the aggregator: `shrinkray ensemble … --plugin <this package> --aggregator median`.
aggregators.register(medianAggregator);

export { medianAggregator };
