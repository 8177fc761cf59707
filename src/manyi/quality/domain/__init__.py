"""Pure rules of the quality feature: the measures, their intervals, the additive aggregate."""
