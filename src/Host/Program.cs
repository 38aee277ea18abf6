using AmiSim.Host;

// Sizing the heap for the fleet (HeapBudget) is off in the amisim command until the cluster process test
// passes in CI with it (session 7: it failed there four times after this was turned on); the bench keeps it.
return await AmiSimApp.Create().RunAsync(args);
