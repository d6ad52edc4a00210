package org.mtflow.nodes.train;

/** The training params train.fit and train.finetune share: their records implement these accessors. */
interface TrainingParams {
    String optimizer();
    Double lr();
    Double momentum();
    Double weightDecay();
    Integer batch();
    Integer epochs();
    String schedule();
    Integer warmupEpochs();
    Integer stepEpochs();
    Double validation();
    Integer patience();

    /** The settings, defaults filled in (see {@link TrainSettings#from}). */
    default TrainSettings settings() {
        return TrainSettings.from(optimizer(), lr(), momentum(), weightDecay(), batch(), epochs(), schedule(),
                warmupEpochs(), stepEpochs(), validation(), patience());
    }
}
