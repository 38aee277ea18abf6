using Akka.TestKit.Xunit2;
using AmiSim.Kernel;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Psem;
using Xunit;

namespace AmiSim.Meter.Tests;

/// <summary>The NIC and metrology board of one meter, driven through frames as the head-end would.</summary>
public sealed class MeterPairTests : TestKit
{
    private static SimTime At(double seconds) => SimTime.FromSeconds(seconds);

    private static readonly FirmwareVersion Old = new(1, 0);
    private static readonly FirmwareVersion New = new(2, 1);

    [Fact]
    public async Task A_full_transfer_leaves_the_new_version_in_ST1_and_logs_event_36()
    {
        var bed = new MeterTestBed(Sys, 1);
        var package = MeterTestBed.Firmware(New);
        var initiate = bed.Initiate(1, package);
        bed.Transmit(1, At(0), initiate);
        bed.Transmit(1, At(1), MeterTestBed.Chunk(package, 0, 8));
        bed.Transmit(1, At(2), bed.VerifyAndActivate(1));
        var readSt1 = bed.Command(new FullReadRequest(Tables.GeneralManufacturerId));
        bed.Transmit(1, At(60), readSt1);

        await bed.Simulation.RunAsync(At(3600));

        Assert.True(bed.ResultOf(initiate).AllOk);
        var st1 = GeneralManufacturerIdTable.Decode(bed.ResultOf(readSt1).Responses.Single().Data.Span);
        Assert.Equal(New, st1.Firmware);
        var board = await bed.BoardAsync(1);
        Assert.Equal(ImageTransferStatus.ActivationSuccessful, board.TransferStatus);
        Assert.Contains(board.Events, e => e.Code == EventCode.EndDeviceReprogrammed && e.Detail == "firmware 1.0 -> 2.1");
        var confirmation = Assert.Single(bed.Received<ProgramConfirmation>());
        Assert.Equal(ConfirmationOutcome.Activated, confirmation.Outcome);
        Assert.Equal(New, confirmation.Firmware);
        // Activation command arrives at 2 s + L, the board reboots for 20 s, the confirmation takes L back.
        Assert.Equal(At(2) + MeterTestBed.Lookahead + TimeSpan.FromSeconds(20), new SimTime(confirmation.ActivatedAtMicros));
    }

    [Fact]
    public async Task Lost_blocks_show_as_first_missing_block_and_missing_count()
    {
        var bed = new MeterTestBed(Sys, 1);
        var package = MeterTestBed.Firmware(New);
        bed.Transmit(1, At(0), bed.Initiate(1, package));
        bed.Transmit(1, At(1), MeterTestBed.Chunk(package, 0, 3));
        bed.Transmit(1, At(1), MeterTestBed.Chunk(package, 5, 3));
        var status = bed.Command(new FullReadRequest(Tables.ImageTransferControl), new FullReadRequest(Tables.ImageTransferBitmap));
        bed.Transmit(1, At(2), status);
        var verify = bed.Authenticated(1, MeterTestBed.Procedure(ProcedureId.Manufacturer(ManufacturerProcedure.VerifyImage), []),
            new FullReadRequest(Tables.ProcedureResponse));
        bed.Transmit(1, At(3), verify);

        await bed.Simulation.RunAsync(At(60));

        var responses = bed.ResultOf(status).Responses;
        var mt100 = ImageTransferControlTable.Decode(responses[0].Data.Span, DataOrder.BigEndian);
        Assert.Equal(3u, mt100.FirstMissingBlock);
        Assert.Equal(2u, mt100.MissingCount);
        Assert.Equal(8u, mt100.BlockCount);
        Assert.Equal(new byte[] { 0b1110_0111 }, responses[1].Data.ToArray());
        var st8 = ProcedureResponseTable.Decode(bed.ResultOf(verify).Responses[^1].Data.Span, DataOrder.BigEndian);
        Assert.Equal(ProcedureResult.ConflictsWithSetup, st8.Result);
        Assert.Equal((byte)ImageFailure.IncompleteImage, st8.ResponseData[1]);
    }

    [Fact]
    public async Task A_write_with_a_bad_checksum_gets_err_and_writes_nothing()
    {
        var bed = new MeterTestBed(Sys, 1);
        var package = MeterTestBed.Firmware(New);
        bed.Transmit(1, At(0), bed.Initiate(1, package));
        var block = package.Block(0);
        var bad = bed.Authenticated(1, new PartialWriteRequest(Tables.ImageTransferData, 0, block, (byte)(TableChecksum.Of(block.Span) + 1)));
        bed.Transmit(1, At(1), bad);

        await bed.Simulation.RunAsync(At(10));

        Assert.Equal(PsemResponseCode.Error, bed.ResultOf(bad).Responses[^1].Code);
        Assert.Equal(8, (await bed.BoardAsync(1)).MissingBlocks);
    }

    [Fact]
    public async Task A_write_to_a_read_only_table_is_refused()
    {
        var bed = new MeterTestBed(Sys, 1);
        var forged = new GeneralManufacturerIdTable("AMIS", "AM-100", 1, 0, 9, 9, "0000000000000001").Encode();
        var write = bed.Authenticated(1, new FullWriteRequest(Tables.GeneralManufacturerId, forged));
        bed.Transmit(1, At(0), write);

        await bed.Simulation.RunAsync(At(10));

        Assert.Equal(PsemResponseCode.InappropriateActionRequested, bed.ResultOf(write).Responses[^1].Code);
        Assert.Equal(Old, (await bed.BoardAsync(1)).Firmware);
    }

    [Fact]
    public async Task A_wrong_or_missing_credential_gets_isc_and_nothing_is_written()
    {
        var bed = new MeterTestBed(Sys, 1);
        var fiveMinutes = new FullWriteRequest(Tables.LoadProfileControl, (LoadProfileControlTable.Default with { IntervalMinutes = 5 }).Encode(DataOrder.BigEndian));
        var wrong = bed.Command(new LogonRequest(1, "headend"), new SecurityRequest(MeterTestBed.CredentialOf(2)), fiveMinutes);
        var missing = bed.Command(new LogonRequest(1, "headend"), fiveMinutes);
        bed.Transmit(1, At(0), wrong);
        bed.Transmit(1, At(1), missing);

        await bed.Simulation.RunAsync(At(10));

        var wrongResponses = bed.ResultOf(wrong).Responses;
        Assert.Equal(2, wrongResponses.Count); // the write after the refused security is never run
        Assert.Equal(PsemResponseCode.InsufficientSecurityClearance, wrongResponses[1].Code);
        Assert.Equal(PsemResponseCode.InsufficientSecurityClearance, bed.ResultOf(missing).Responses[^1].Code);
        Assert.Equal(TimeSpan.FromMinutes(15), (await bed.BoardAsync(1)).MeteringInterval);
    }

    [Fact]
    public async Task A_tampered_image_fails_verification_and_the_old_version_stays()
    {
        var bed = new MeterTestBed(Sys, 1);
        var package = MeterTestBed.Firmware(New);
        var tampered = package.Content.ToArray();
        tampered[3 * 512 + 17] ^= 0x40;
        bed.Transmit(1, At(0), bed.Initiate(1, package));
        bed.Transmit(1, At(1), new ImageChunk(package.Manifest.ProgramId, 512,
            Enumerable.Range(0, 8).Select(b => new ImageBlock(b, tampered.AsMemory(b * 512, 512))).ToList()));
        var activate = bed.VerifyAndActivate(1);
        bed.Transmit(1, At(2), activate);

        await bed.Simulation.RunAsync(At(600));

        var st8 = ProcedureResponseTable.Decode(bed.ResultOf(activate).Responses[3].Data.Span, DataOrder.BigEndian);
        Assert.Equal(new byte[] { (byte)ImageTransferStatus.VerificationFailed, (byte)ImageFailure.BlockDigestMismatch }, st8.ResponseData);
        var board = await bed.BoardAsync(1);
        Assert.Equal(Old, board.Firmware);
        Assert.Equal(ImageTransferStatus.VerificationFailed, board.TransferStatus);
        Assert.Empty(bed.Received<ProgramConfirmation>());
    }

    [Fact]
    public async Task A_manifest_signed_by_an_untrusted_key_fails_verification()
    {
        var bed = new MeterTestBed(Sys, 1);
        var genuine = MeterTestBed.Firmware(New);
        using var rogue = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var forged = AmiSim.Protocol.Programs.ProgramPackage.Sign(genuine.Manifest, genuine.Content, rogue);
        bed.Transmit(1, At(0), bed.Initiate(1, forged));
        bed.Transmit(1, At(1), MeterTestBed.Chunk(forged, 0, 8));
        bed.Transmit(1, At(2), bed.VerifyAndActivate(1));

        await bed.Simulation.RunAsync(At(600));

        var board = await bed.BoardAsync(1);
        Assert.Equal(ImageFailure.SignatureInvalid, board.LastFailure);
        Assert.Equal(Old, board.Firmware);
    }

    [Fact]
    public async Task An_activation_failure_rolls_back_and_says_why()
    {
        var bed = new MeterTestBed(Sys, 1, setup => setup with { Faults = new MeterFaultProfile { ActivationFailure = 1.0 } });
        var package = MeterTestBed.Firmware(New);
        bed.ProgramMeter(package);

        await bed.Simulation.RunAsync(At(600));

        var confirmation = Assert.Single(bed.Received<ProgramConfirmation>());
        Assert.Equal(ConfirmationOutcome.RolledBack, confirmation.Outcome);
        Assert.Equal(nameof(ImageFailure.ActivationFailed), confirmation.Reason);
        Assert.Equal(Old, confirmation.Firmware);
        var board = await bed.BoardAsync(1);
        Assert.Equal(Old, board.Firmware);
        Assert.Contains(board.Events, e => e.Code == EventCode.ConfigurationError && e.Detail.Contains("rolled back to 1.0"));
    }

    [Fact]
    public async Task A_configuration_program_changes_the_metering_interval_at_activation_not_before()
    {
        var bed = new MeterTestBed(Sys, 1);
        var pending = Tables.LoadProfileControl.AsPending();
        var stage = bed.Authenticated(1, new FullWriteRequest(pending, (LoadProfileControlTable.Default with { IntervalMinutes = 5 }).Encode(DataOrder.BigEndian)));
        var readBefore = bed.Command(new FullReadRequest(Tables.LoadProfileControl));
        var activate = bed.Authenticated(1,
            MeterTestBed.Procedure(ProcedureId.Standard(StandardProcedure.ActivateSpecificPendingTables), [1, 0x10, 0x3D]),
            new FullReadRequest(Tables.ProcedureResponse), new FullReadRequest(Tables.LoadProfileControl));
        bed.Transmit(1, At(0), stage);
        bed.Transmit(1, At(600), readBefore);
        bed.Transmit(1, At(3600), activate);

        await bed.Simulation.RunAsync(At(7200));

        Assert.True(bed.ResultOf(stage).AllOk);
        Assert.Equal(15, LoadProfileControlTable.Decode(bed.ResultOf(readBefore).Responses[0].Data.Span, DataOrder.BigEndian).IntervalMinutes);
        var after = bed.ResultOf(activate).Responses;
        Assert.Equal(ProcedureResult.Completed, ProcedureResponseTable.Decode(after[3].Data.Span, DataOrder.BigEndian).Result);
        Assert.Equal(5, LoadProfileControlTable.Decode(after[4].Data.Span, DataOrder.BigEndian).IntervalMinutes);
        var board = await bed.BoardAsync(1);
        Assert.Contains(board.Events, e => e.Code == EventCode.PendingTableActivated && e.Time == At(3600) + MeterTestBed.Lookahead);
    }

    [Fact]
    public async Task A_scheduled_activation_switches_the_version_at_the_scheduled_time()
    {
        var bed = new MeterTestBed(Sys, 1);
        var package = MeterTestBed.Firmware(New);
        bed.ProgramMeter(package, activateAt: At(7200));

        await bed.Simulation.RunAsync(At(7000));
        Assert.Equal(Old, (await bed.BoardAsync(1)).Firmware);
        Assert.Equal(ImageTransferStatus.ActivationInitiated, (await bed.BoardAsync(1)).TransferStatus);

        await bed.Simulation.RunAsync(At(8000));
        Assert.Equal(New, (await bed.BoardAsync(1)).Firmware);
        Assert.Equal(At(7220).Micros, Assert.Single(bed.Received<ProgramConfirmation>()).ActivatedAtMicros);
    }

    [Fact]
    public async Task A_bricked_meter_never_answers_again()
    {
        var bed = new MeterTestBed(Sys, 1, setup => setup with { Faults = new MeterFaultProfile { Brick = 1.0 } });
        var package = MeterTestBed.Firmware(New);
        bed.Transmit(1, At(0), bed.Initiate(1, package));
        bed.Transmit(1, At(1), MeterTestBed.Chunk(package, 0, 8));
        var activate = bed.VerifyAndActivate(1);
        bed.Transmit(1, At(2), activate);
        var ping = bed.Command(new FullReadRequest(Tables.GeneralManufacturerId));
        bed.Transmit(1, At(120), ping);

        await bed.Simulation.RunAsync(At(86_400));

        Assert.True(bed.ResultOf(activate).AllOk); // it answered before the reboot
        Assert.DoesNotContain(bed.Received<PsemCommandResult>(), r => r.CommandId == ping.CommandId);
        Assert.Empty(bed.Received<ProgramConfirmation>());
        Assert.True((await bed.BoardAsync(1)).Bricked);
    }

    [Fact]
    public async Task After_a_NIC_outage_the_confirmation_arrives_exactly_once()
    {
        var outage = (Start: At(10), Duration: TimeSpan.FromHours(1));
        var bed = new MeterTestBed(Sys, 1, setup => setup with { Outages = [outage] });
        var package = MeterTestBed.Firmware(New);
        bed.ProgramMeter(package); // activation completes at 22 s, inside the outage
        bed.Transmit(1, At(60), bed.Command(new FullReadRequest(Tables.GeneralManufacturerId))); // dropped: offline

        await bed.Simulation.RunAsync(At(2 * 86_400));

        var received = bed.Uplink.Where(u => u.Frame is ProgramConfirmation).ToList();
        var (time, frame) = Assert.Single(received);
        Assert.Equal(outage.Start + outage.Duration + MeterTestBed.Lookahead, time);
        Assert.Equal(New, ((ProgramConfirmation)frame).Firmware);
        var nic = await bed.NicAsync(1);
        Assert.True(nic.Online);
        Assert.Equal(0, nic.UnacknowledgedConfirmations);
        Assert.Equal(1, nic.FramesDropped);
    }

    [Fact]
    public async Task An_unacknowledged_confirmation_is_sent_again_with_backoff()
    {
        var bed = new MeterTestBed(Sys, 1) { AcknowledgeConfirmations = false };
        var package = MeterTestBed.Firmware(New);
        bed.ProgramMeter(package);

        await bed.Simulation.RunAsync(At(3600));

        var times = bed.Uplink.Where(u => u.Frame is ProgramConfirmation).Select(u => u.Time).ToList();
        // First at 22.04 s, then after 5, 10, 20 minutes of backoff (within the hour).
        var first = At(22.04);
        Assert.Equal(new[] { first, first + TimeSpan.FromMinutes(5), first + TimeSpan.FromMinutes(15), first + TimeSpan.FromMinutes(35) }, times);
        Assert.All(bed.Received<ProgramConfirmation>(), c => Assert.Equal(1, c.ConfirmationId));
    }

    [Fact]
    public async Task Silent_flash_corruption_is_caught_at_verification()
    {
        var bed = new MeterTestBed(Sys, 1, setup => setup with { Faults = new MeterFaultProfile { SilentCorruption = 0.5 } });
        var package = MeterTestBed.Firmware(New);
        bed.ProgramMeter(package);

        await bed.Simulation.RunAsync(At(600));

        var board = await bed.BoardAsync(1);
        Assert.Equal(0, board.MissingBlocks); // every write was answered ok
        Assert.Equal(ImageFailure.BlockDigestMismatch, board.LastFailure);
        Assert.Equal(Old, board.Firmware);
    }

    [Fact]
    public async Task A_failed_flash_write_is_answered_err_and_the_block_stays_missing()
    {
        var bed = new MeterTestBed(Sys, 1, setup => setup with { Faults = new MeterFaultProfile { FlashWriteFailure = 1.0 } });
        var package = MeterTestBed.Firmware(New);
        bed.Transmit(1, At(0), bed.Initiate(1, package));
        var write = bed.Authenticated(1, new PartialWriteRequest(Tables.ImageTransferData, 512, package.Block(1)));
        bed.Transmit(1, At(1), write);
        bed.Transmit(1, At(2), MeterTestBed.Chunk(package, 0, 8));

        await bed.Simulation.RunAsync(At(60));

        Assert.Equal(PsemResponseCode.Error, bed.ResultOf(write).Responses[^1].Code);
        var board = await bed.BoardAsync(1);
        Assert.Equal(8, board.MissingBlocks);
        Assert.Equal(0, board.FirstMissingBlock);
    }
}
