// PLACEHOLDER so that the model library has an object; replaced by the simulator engineers.
namespace ena_sim {
int model_placeholder() { return 0; }
}  // namespace ena_sim
