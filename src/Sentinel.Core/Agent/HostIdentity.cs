namespace Sentinel.Agent;

/// <summary>Who this host is, for the agent's hello and tags.</summary>
public static class HostIdentity
{
    public static string HostName()
    {
        try
        {
            var name = File.Exists("/proc/sys/kernel/hostname") ? File.ReadAllText("/proc/sys/kernel/hostname").Trim() : "";
            return name.Length > 0 ? name : Environment.MachineName;
        }
        catch (IOException)
        {
            return Environment.MachineName;
        }
    }

    /// <summary>/etc/machine-id where there is one (stable across renames), else the host name.</summary>
    public static string HostId()
    {
        foreach (var path in new[] { "/etc/machine-id", "/var/lib/dbus/machine-id" })
        {
            try
            {
                if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } id)
                {
                    return id;
                }
            }
            catch (IOException)
            {
            }
        }
        return HostName();
    }

    /// <summary>
    /// Tags from a Slurm job's environment, so a fleet of agents launched by sbatch/srun can be told
    /// apart by job, node, cluster and array index: slurm_job, slurm_node, slurm_cluster, slurm_array_job, slurm_array_task.
    /// </summary>
    public static Dictionary<string, string> SlurmTags(Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        void Add(string tag, params string[] vars)
        {
            foreach (var v in vars)
            {
                if (env(v) is { Length: > 0 } value)
                {
                    tags[tag] = value;
                    return;
                }
            }
        }
        Add("slurm_job", "SLURM_JOB_ID", "SLURM_JOBID");
        Add("slurm_node", "SLURMD_NODENAME");
        Add("slurm_array_job", "SLURM_ARRAY_JOB_ID");
        Add("slurm_array_task", "SLURM_ARRAY_TASK_ID");
        Add("slurm_cluster", "SLURM_CLUSTER_NAME");
        return tags;
    }
}
